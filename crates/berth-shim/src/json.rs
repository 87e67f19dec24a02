//! Just enough JSON for the shim: writing strings, and reading the string members of the
//! flat objects runc logs one per line (`{"level":"error","msg":"…","time":"…"}`).

/// `text` as a JSON string, quotes included.
pub fn string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The members of a JSON object whose values are strings, in order; other members are
/// skipped. `None` when `text` is not one well-formed object.
pub fn string_members(text: &str) -> Option<Vec<(String, String)>> {
    let mut reader = Reader {
        chars: text.chars().peekable(),
    };
    reader.skip_space();
    reader.expect('{')?;
    let mut members = Vec::new();
    reader.skip_space();
    if reader.eat('}') {
        return reader.at_end().then_some(members);
    }
    loop {
        reader.skip_space();
        let key = reader.string()?;
        reader.skip_space();
        reader.expect(':')?;
        reader.skip_space();
        if reader.chars.peek() == Some(&'"') {
            members.push((key, reader.string()?));
        } else {
            reader.skip_value()?;
        }
        reader.skip_space();
        if reader.eat(',') {
            continue;
        }
        reader.expect('}')?;
        return reader.at_end().then_some(members);
    }
}

struct Reader<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
}

impl Reader<'_> {
    fn skip_space(&mut self) {
        while self.chars.next_if(|c| c.is_ascii_whitespace()).is_some() {}
    }

    fn eat(&mut self, c: char) -> bool {
        self.chars.next_if_eq(&c).is_some()
    }

    fn expect(&mut self, c: char) -> Option<()> {
        self.eat(c).then_some(())
    }

    fn at_end(&mut self) -> bool {
        self.skip_space();
        self.chars.peek().is_none()
    }

    fn hex4(&mut self) -> Option<u32> {
        let mut value = 0;
        for _ in 0..4 {
            value = value * 16 + self.chars.next()?.to_digit(16)?;
        }
        Some(value)
    }

    fn string(&mut self) -> Option<String> {
        self.expect('"')?;
        let mut out = String::new();
        loop {
            match self.chars.next()? {
                '"' => return Some(out),
                '\\' => match self.chars.next()? {
                    '"' => out.push('"'),
                    '\\' => out.push('\\'),
                    '/' => out.push('/'),
                    'b' => out.push('\u{8}'),
                    'f' => out.push('\u{c}'),
                    'n' => out.push('\n'),
                    'r' => out.push('\r'),
                    't' => out.push('\t'),
                    'u' => {
                        let unit = self.hex4()?;
                        let code = if (0xd800..0xdc00).contains(&unit) {
                            // A surrogate pair: the low half must follow.
                            self.expect('\\')?;
                            self.expect('u')?;
                            let low = self.hex4()?;
                            if !(0xdc00..0xe000).contains(&low) {
                                return None;
                            }
                            0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00)
                        } else {
                            unit
                        };
                        out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                    }
                    _ => return None,
                },
                c if u32::from(c) < 0x20 => return None,
                c => out.push(c),
            }
        }
    }

    /// Skips a number, literal, array or object (nested values included).
    fn skip_value(&mut self) -> Option<()> {
        match *self.chars.peek()? {
            '"' => self.string().map(drop),
            '{' | '[' => {
                let mut depth = 0usize;
                loop {
                    match *self.chars.peek()? {
                        '"' => {
                            self.string()?;
                            continue;
                        }
                        '{' | '[' => depth += 1,
                        '}' | ']' => {
                            depth -= 1;
                            if depth == 0 {
                                self.chars.next();
                                return Some(());
                            }
                        }
                        _ => {}
                    }
                    self.chars.next();
                }
            }
            _ => {
                let mut any = false;
                while self
                    .chars
                    .next_if(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '+' | '.'))
                    .is_some()
                {
                    any = true;
                }
                any.then_some(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_round_trip_through_serde_json() {
        for text in [
            "",
            "plain",
            "quote \" backslash \\ slash /",
            "lines\nand\ttabs\r",
            "control \u{1} \u{1f}",
            "unicode é ✓ 🚢",
        ] {
            let written = string(text);
            let parsed: String = serde_json::from_str(&written).expect("valid JSON");
            assert_eq!(parsed, text);
            let object = format!("{{\"k\":{written}}}");
            assert_eq!(
                string_members(&object),
                Some(vec![("k".into(), text.into())])
            );
        }
    }

    #[test]
    fn reads_runc_log_lines() {
        let line = r#"{"level":"error","msg":"runc run failed: exec: \"nope\": executable file not found in $PATH","time":"2026-11-28T03:22:00Z"}"#;
        let members = string_members(line).expect("an object");
        assert_eq!(members[0], ("level".into(), "error".into()));
        assert_eq!(
            members[1].1,
            "runc run failed: exec: \"nope\": executable file not found in $PATH"
        );
        assert_eq!(members.len(), 3);
    }

    #[test]
    fn skips_values_that_are_not_strings() {
        let line = r#" { "n": -1.5e3, "t": true, "z": null, "a": [1, "]", {"b": "}"}], "o": {"x": [2]}, "s": "\u00e9\ud83d\udea2" } "#;
        assert_eq!(string_members(line), Some(vec![("s".into(), "é🚢".into())]));
        assert_eq!(string_members("{}"), Some(vec![]));
    }

    #[test]
    fn rejects_what_is_not_one_object() {
        for bad in [
            "",
            "level=error msg=x",
            "{\"a\":\"b\"",
            "{\"a\":\"b\"} trailing",
            "{\"a\" \"b\"}",
            "{\"a\":\"\\ud83d\"}",
            "{\"a\":\"\\x\"}",
            "[\"a\"]",
            "{\"a\":}",
        ] {
            assert_eq!(string_members(bad), None, "{bad:?}");
        }
    }
}

//! The container's log in the CRI format the kubelet reads: one
//! `<RFC 3339 time> <stream> <F|P> <content>` line per line of output; a line longer than
//! [`MAX_LINE`] is split into partial (`P`) lines ending with a full (`F`) one.

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

use crate::time;

/// A CRI log line's maximum content before it is split into partial (`P`) lines.
pub const MAX_LINE: usize = 16 * 1024;

pub struct Log {
    file: File,
}

impl Log {
    /// Opens `path` for appending, creating it and its directory.
    pub fn open(path: &Path) -> io::Result<Log> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let file = File::options().create(true).append(true).open(path)?;
        Ok(Log { file })
    }

    fn line(&mut self, stream: &str, tag: char, content: &[u8]) -> io::Result<()> {
        let stamp = time::now();
        let mut out = Vec::with_capacity(stamp.len() + stream.len() + content.len() + 4);
        write!(out, "{stamp} {stream} {tag} ")?;
        out.extend_from_slice(content);
        out.push(b'\n');
        self.file.write_all(&out)
    }

    /// Writes the complete lines in `buffer` (and partial ones beyond the line limit),
    /// leaving the rest in it.
    pub fn write_lines(&mut self, stream: &str, buffer: &mut Vec<u8>) -> io::Result<()> {
        let mut start = 0;
        while let Some(newline) = buffer[start..].iter().position(|&b| b == b'\n') {
            let end = start + newline;
            let mut line_start = start;
            while end - line_start > MAX_LINE {
                self.line(stream, 'P', &buffer[line_start..line_start + MAX_LINE])?;
                line_start += MAX_LINE;
            }
            self.line(stream, 'F', &buffer[line_start..end])?;
            start = end + 1;
        }
        while buffer.len() - start > MAX_LINE {
            self.line(stream, 'P', &buffer[start..start + MAX_LINE])?;
            start += MAX_LINE;
        }
        buffer.drain(..start);
        Ok(())
    }

    /// Writes what is left in `buffer` as a last, full line.
    pub fn flush_partial(&mut self, stream: &str, buffer: &mut Vec<u8>) -> io::Result<()> {
        if !buffer.is_empty() {
            self.line(stream, 'F', buffer)?;
            buffer.clear();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_of(path: &Path) -> Vec<(String, String, String)> {
        std::fs::read_to_string(path)
            .expect("read the log")
            .lines()
            .map(|line| {
                let mut parts = line.splitn(4, ' ');
                let stamp = parts.next().expect("time");
                stamp.parse::<jiff::Timestamp>().expect("RFC 3339 time");
                let stream = parts.next().expect("stream").to_string();
                let tag = parts.next().expect("tag").to_string();
                (stream, tag, parts.next().unwrap_or_default().to_string())
            })
            .collect()
    }

    #[test]
    fn full_partial_and_long_lines() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("pod/app/0.log");
        let mut log = Log::open(&path).expect("open");
        let mut out = b"one\ntwo\nthr".to_vec();
        log.write_lines("stdout", &mut out).expect("write");
        assert_eq!(out, b"thr");
        let mut err = vec![b'x'; MAX_LINE * 2 + 3];
        err.push(b'\n');
        err.extend_from_slice(&vec![b'y'; MAX_LINE + 1]);
        log.write_lines("stderr", &mut err).expect("write");
        assert_eq!(err, b"y");
        log.flush_partial("stdout", &mut out).expect("flush");
        log.flush_partial("stderr", &mut err).expect("flush");
        let x = "x".repeat(MAX_LINE);
        let y = "y".repeat(MAX_LINE);
        let expected: Vec<(String, String, String)> = [
            ("stdout", "F", "one"),
            ("stdout", "F", "two"),
            ("stderr", "P", x.as_str()),
            ("stderr", "P", x.as_str()),
            ("stderr", "F", "xxx"),
            ("stderr", "P", y.as_str()),
            ("stdout", "F", "thr"),
            ("stderr", "F", "y"),
        ]
        .iter()
        .map(|(s, t, c)| (s.to_string(), t.to_string(), c.to_string()))
        .collect();
        assert_eq!(lines_of(&path), expected);
    }
}

//! SPDY/3.1 framing, as much as `kubectl port-forward` needs: control frames (SYN_STREAM,
//! SYN_REPLY, RST_STREAM, SETTINGS, PING, GOAWAY, HEADERS, WINDOW_UPDATE) and data frames,
//! with name/value header blocks compressed by one zlib stream per direction seeded with the
//! SPDY/3 dictionary.
//!
//! Invariants: a [`Decoder`] hands out a frame only once all of its bytes arrived (input may
//! be split anywhere, as kubectl's WebSocket messages are); a header block never inflates to
//! more than [`MAX_HEADER_BLOCK`] bytes; an [`Encoder`]'s header blocks end in a sync flush,
//! so each is decodable on arrival.

use std::sync::LazyLock;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};

pub const VERSION: u16 = 3;
const FLAG_FIN: u8 = 0x01;
/// A frame's length field has 24 bits.
const MAX_FRAME: usize = (1 << 24) - 1;
/// How much a header block may inflate to (kubectl's are a few dozen bytes).
pub const MAX_HEADER_BLOCK: usize = 64 * 1024;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SpdyError {
    #[error("SPDY version {0} (only 3 is spoken)")]
    Version(u16),
    #[error("malformed {0} frame")]
    Malformed(&'static str),
    #[error("header block: {0}")]
    Headers(String),
}

pub type Headers = Vec<(String, String)>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    SynStream {
        stream: u32,
        fin: bool,
        headers: Headers,
    },
    SynReply {
        stream: u32,
        fin: bool,
        headers: Headers,
    },
    RstStream {
        stream: u32,
        status: u32,
    },
    Settings,
    Ping {
        id: u32,
    },
    GoAway {
        last_stream: u32,
        status: u32,
    },
    Headers {
        stream: u32,
        headers: Headers,
    },
    WindowUpdate {
        stream: u32,
        delta: u32,
    },
    Data {
        stream: u32,
        fin: bool,
        data: Bytes,
    },
    /// A control frame type this side does not act on.
    Other {
        kind: u16,
    },
}

/// RST_STREAM status codes (SPDY/3 §2.4.2).
pub const RST_CANCEL: u32 = 5;

/// The header names and values the SPDY/3 draft (§2.6.10.1) seeds zlib with: length-prefixed
/// words, then a run of plain text.
pub static DICTIONARY: LazyLock<Vec<u8>> = LazyLock::new(|| {
    const WORDS: &[&str] = &[
        "options",
        "head",
        "post",
        "put",
        "delete",
        "trace",
        "accept",
        "accept-charset",
        "accept-encoding",
        "accept-language",
        "accept-ranges",
        "age",
        "allow",
        "authorization",
        "cache-control",
        "connection",
        "content-base",
        "content-encoding",
        "content-language",
        "content-length",
        "content-location",
        "content-md5",
        "content-range",
        "content-type",
        "date",
        "etag",
        "expect",
        "expires",
        "from",
        "host",
        "if-match",
        "if-modified-since",
        "if-none-match",
        "if-range",
        "if-unmodified-since",
        "last-modified",
        "location",
        "max-forwards",
        "pragma",
        "proxy-authenticate",
        "proxy-authorization",
        "range",
        "referer",
        "retry-after",
        "server",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "user-agent",
        "vary",
        "via",
        "warning",
        "www-authenticate",
        "method",
        "get",
        "status",
        "200 OK",
        "version",
        "HTTP/1.1",
        "url",
        "public",
        "set-cookie",
        "keep-alive",
        "origin",
    ];
    const TEXT: &[&str] = &[
        "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505",
        "203 Non-Authoritative Information",
        "204 No Content",
        "301 Moved Permanently",
        "400 Bad Request",
        "401 Unauthorized",
        "403 Forbidden",
        "404 Not Found",
        "500 Internal Server Error",
        "501 Not Implemented",
        "503 Service Unavailable",
        "Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 ",
        "Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT",
        "chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,",
        "text/plain,text/javascript,publicprivatemax-age=gzip,deflate,sdch",
        "charset=utf-8charset=iso-8859-1,utf-,*,enq=0.",
    ];
    let mut dictionary = Vec::new();
    for word in WORDS {
        dictionary.extend_from_slice(&(word.len() as u32).to_be_bytes());
        dictionary.extend_from_slice(word.as_bytes());
    }
    for text in TEXT {
        dictionary.extend_from_slice(text.as_bytes());
    }
    dictionary
});

/// Frames from a byte stream that arrives in pieces.
pub struct Decoder {
    buffer: BytesMut,
    inflate: Decompress,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder {
            buffer: BytesMut::new(),
            inflate: Decompress::new(true),
        }
    }
}

impl Decoder {
    pub fn feed(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    /// The next complete frame, if all of it has arrived.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, SpdyError> {
        if self.buffer.len() < 8 {
            return Ok(None);
        }
        let length =
            u32::from_be_bytes([0, self.buffer[5], self.buffer[6], self.buffer[7]]) as usize;
        if self.buffer.len() < 8 + length {
            return Ok(None);
        }
        let mut frame = self.buffer.split_to(8 + length).freeze();
        let first = frame.get_u32();
        let flags = frame.get_u8();
        frame.advance(3);
        let fin = flags & FLAG_FIN != 0;
        if first & 0x8000_0000 == 0 {
            return Ok(Some(Frame::Data {
                stream: first & 0x7fff_ffff,
                fin,
                data: frame,
            }));
        }
        let version = ((first >> 16) & 0x7fff) as u16;
        if version != VERSION {
            return Err(SpdyError::Version(version));
        }
        let kind = (first & 0xffff) as u16;
        let need = |frame: &Bytes, n: usize, what: &'static str| {
            if frame.len() < n {
                Err(SpdyError::Malformed(what))
            } else {
                Ok(())
            }
        };
        Ok(Some(match kind {
            1 => {
                need(&frame, 10, "SYN_STREAM")?;
                let stream = frame.get_u32() & 0x7fff_ffff;
                frame.advance(6); // associated stream, priority, slot
                let headers = self.headers(&frame)?;
                Frame::SynStream {
                    stream,
                    fin,
                    headers,
                }
            }
            2 => {
                need(&frame, 4, "SYN_REPLY")?;
                let stream = frame.get_u32() & 0x7fff_ffff;
                let headers = self.headers(&frame)?;
                Frame::SynReply {
                    stream,
                    fin,
                    headers,
                }
            }
            3 => {
                need(&frame, 8, "RST_STREAM")?;
                Frame::RstStream {
                    stream: frame.get_u32() & 0x7fff_ffff,
                    status: frame.get_u32(),
                }
            }
            4 => Frame::Settings,
            6 => {
                need(&frame, 4, "PING")?;
                Frame::Ping {
                    id: frame.get_u32(),
                }
            }
            7 => {
                need(&frame, 8, "GOAWAY")?;
                Frame::GoAway {
                    last_stream: frame.get_u32() & 0x7fff_ffff,
                    status: frame.get_u32(),
                }
            }
            8 => {
                need(&frame, 4, "HEADERS")?;
                let stream = frame.get_u32() & 0x7fff_ffff;
                let headers = self.headers(&frame)?;
                Frame::Headers { stream, headers }
            }
            9 => {
                need(&frame, 8, "WINDOW_UPDATE")?;
                Frame::WindowUpdate {
                    stream: frame.get_u32() & 0x7fff_ffff,
                    delta: frame.get_u32() & 0x7fff_ffff,
                }
            }
            kind => Frame::Other { kind },
        }))
    }

    fn headers(&mut self, block: &[u8]) -> Result<Headers, SpdyError> {
        let plain = self.inflate(block)?;
        parse_headers(&plain)
    }

    fn inflate(&mut self, input: &[u8]) -> Result<Vec<u8>, SpdyError> {
        let failed = |e: &dyn std::fmt::Display| SpdyError::Headers(e.to_string());
        let mut out: Vec<u8> = Vec::with_capacity(256);
        let mut consumed = 0;
        loop {
            if out.len() == out.capacity() {
                out.reserve(1024);
            }
            let before = self.inflate.total_in();
            let result =
                self.inflate
                    .decompress_vec(&input[consumed..], &mut out, FlushDecompress::Sync);
            consumed += (self.inflate.total_in() - before) as usize;
            match result {
                Ok(_) => {}
                Err(e) if e.needs_dictionary().is_some() => {
                    self.inflate
                        .set_dictionary(&DICTIONARY)
                        .map_err(|e| failed(&e))?;
                    continue;
                }
                Err(e) => return Err(failed(&e)),
            }
            if out.len() > MAX_HEADER_BLOCK {
                return Err(SpdyError::Headers(format!(
                    "inflates to more than {MAX_HEADER_BLOCK} bytes"
                )));
            }
            if consumed >= input.len() && out.len() < out.capacity() {
                return Ok(out);
            }
        }
    }
}

fn parse_headers(mut block: &[u8]) -> Result<Headers, SpdyError> {
    let malformed = || SpdyError::Headers("truncated name/value block".into());
    let next = |block: &mut &[u8]| -> Result<String, SpdyError> {
        if block.len() < 4 {
            return Err(malformed());
        }
        let n = block.get_u32() as usize;
        if block.len() < n {
            return Err(malformed());
        }
        let text = String::from_utf8_lossy(&block[..n]).into_owned();
        block.advance(n);
        Ok(text)
    };
    if block.is_empty() {
        return Ok(Vec::new());
    }
    if block.len() < 4 {
        return Err(malformed());
    }
    let count = block.get_u32() as usize;
    let mut headers = Vec::with_capacity(count.min(64));
    for _ in 0..count {
        let name = next(&mut block)?;
        let value = next(&mut block)?;
        headers.push((name, value));
    }
    Ok(headers)
}

/// Frames to bytes, header blocks compressed on one zlib stream.
pub struct Encoder {
    deflate: Compress,
    seeded: bool,
}

impl Default for Encoder {
    fn default() -> Self {
        Encoder {
            deflate: Compress::new(Compression::default(), true),
            seeded: false,
        }
    }
}

impl Encoder {
    pub fn encode(&mut self, frame: &Frame) -> Result<Bytes, SpdyError> {
        let mut body = BytesMut::new();
        let (kind, flags) = match frame {
            Frame::Data { stream, fin, data } => {
                if data.len() > MAX_FRAME {
                    return Err(SpdyError::Malformed("DATA (too long)"));
                }
                let mut out = BytesMut::with_capacity(8 + data.len());
                out.put_u32(stream & 0x7fff_ffff);
                out.put_u8(if *fin { FLAG_FIN } else { 0 });
                out.put_uint(data.len() as u64, 3);
                out.extend_from_slice(data);
                return Ok(out.freeze());
            }
            Frame::SynStream {
                stream,
                fin,
                headers,
            } => {
                body.put_u32(*stream);
                body.put_u32(0);
                body.put_u16(0);
                let block = self.header_block(headers)?;
                body.extend_from_slice(&block);
                (1, if *fin { FLAG_FIN } else { 0 })
            }
            Frame::SynReply {
                stream,
                fin,
                headers,
            } => {
                body.put_u32(*stream);
                let block = self.header_block(headers)?;
                body.extend_from_slice(&block);
                (2, if *fin { FLAG_FIN } else { 0 })
            }
            Frame::RstStream { stream, status } => {
                body.put_u32(*stream);
                body.put_u32(*status);
                (3, 0)
            }
            Frame::Settings => {
                body.put_u32(0);
                (4, 0)
            }
            Frame::Ping { id } => {
                body.put_u32(*id);
                (6, 0)
            }
            Frame::GoAway {
                last_stream,
                status,
            } => {
                body.put_u32(*last_stream);
                body.put_u32(*status);
                (7, 0)
            }
            Frame::Headers { stream, headers } => {
                body.put_u32(*stream);
                let block = self.header_block(headers)?;
                body.extend_from_slice(&block);
                (8, 0)
            }
            Frame::WindowUpdate { stream, delta } => {
                body.put_u32(*stream);
                body.put_u32(*delta);
                (9, 0)
            }
            Frame::Other { .. } => return Err(SpdyError::Malformed("unknown")),
        };
        let mut out = BytesMut::with_capacity(8 + body.len());
        out.put_u16(0x8000 | VERSION);
        out.put_u16(kind);
        out.put_u8(flags);
        out.put_uint(body.len() as u64, 3);
        out.extend_from_slice(&body);
        Ok(out.freeze())
    }

    fn header_block(&mut self, headers: &Headers) -> Result<Vec<u8>, SpdyError> {
        let mut plain = BytesMut::new();
        plain.put_u32(headers.len() as u32);
        for (name, value) in headers {
            // SPDY/3 header names are lowercase.
            plain.put_u32(name.len() as u32);
            plain.extend_from_slice(name.to_ascii_lowercase().as_bytes());
            plain.put_u32(value.len() as u32);
            plain.extend_from_slice(value.as_bytes());
        }
        self.deflate(&plain)
    }

    fn deflate(&mut self, input: &[u8]) -> Result<Vec<u8>, SpdyError> {
        let failed = |e: &dyn std::fmt::Display| SpdyError::Headers(e.to_string());
        if !self.seeded {
            self.deflate
                .set_dictionary(&DICTIONARY)
                .map_err(|e| failed(&e))?;
            self.seeded = true;
        }
        let mut out = Vec::with_capacity(input.len() + 64);
        let mut consumed = 0;
        loop {
            if out.len() == out.capacity() {
                out.reserve(256);
            }
            let before = self.deflate.total_in();
            self.deflate
                .compress_vec(&input[consumed..], &mut out, FlushCompress::Sync)
                .map_err(|e| failed(&e))?;
            consumed += (self.deflate.total_in() - before) as usize;
            if consumed >= input.len() && out.len() < out.capacity() {
                return Ok(out);
            }
        }
    }
}

/// The value of header `name` (case-insensitive).
pub fn header<'a>(headers: &'a Headers, name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn adler32(bytes: &[u8]) -> u32 {
        let (mut a, mut b) = (1u32, 0u32);
        for byte in bytes {
            a = (a + u32::from(*byte)) % 65521;
            b = (b + a) % 65521;
        }
        (b << 16) | a
    }

    fn unhex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
            .collect()
    }

    #[test]
    fn the_dictionary_is_the_one_zlib_streams_name() {
        // kubectl's header blocks start 78 f9 e3 c6 a7 c2: the dictionary's Adler-32.
        assert_eq!(DICTIONARY.len(), 1423);
        assert_eq!(adler32(&DICTIONARY), 0xe3c6_a7c2);
    }

    #[test]
    fn kubectls_syn_stream_decodes_even_when_split() {
        // The first frame kubectl 1.33 sent for `port-forward pod/web-0 18555:80`.
        let bytes = unhex(concat!(
            "800300010000003d0000000100000000000078f9e3c6a7c202253a703a2b294a",
            "4dcc851625aca9a0808614cb45a024cc6461c0c0c0c0590489c44c50e2663400000000ffff"
        ));
        let mut decoder = Decoder::default();
        for piece in bytes.chunks(3) {
            assert_eq!(decoder.next_frame(), Ok(None));
            decoder.feed(piece);
        }
        let Some(Frame::SynStream {
            stream, headers, ..
        }) = decoder.next_frame().expect("decodes")
        else {
            panic!("not a SYN_STREAM");
        };
        assert_eq!(stream, 1);
        assert_eq!(header(&headers, "streamType"), Some("error"));
        assert_eq!(header(&headers, "port"), Some("80"));
        assert_eq!(header(&headers, "requestID"), Some("0"));
    }

    #[test]
    fn frames_round_trip_through_one_compression_stream_each_way() {
        let mut encoder = Encoder::default();
        let mut decoder = Decoder::default();
        let frames = vec![
            Frame::SynStream {
                stream: 1,
                fin: false,
                headers: vec![
                    ("streamtype".into(), "data".into()),
                    ("port".into(), "8080".into()),
                ],
            },
            Frame::SynReply {
                stream: 1,
                fin: false,
                headers: vec![],
            },
            Frame::Data {
                stream: 1,
                fin: true,
                data: Bytes::from_static(b"GET / HTTP/1.0\r\n\r\n"),
            },
            Frame::Ping { id: 7 },
            Frame::RstStream {
                stream: 3,
                status: RST_CANCEL,
            },
            Frame::GoAway {
                last_stream: 3,
                status: 0,
            },
            Frame::WindowUpdate {
                stream: 1,
                delta: 65536,
            },
        ];
        let mut wire = Vec::new();
        for frame in &frames {
            wire.extend_from_slice(&encoder.encode(frame).expect("encodes"));
        }
        decoder.feed(&wire);
        for frame in &frames {
            assert_eq!(decoder.next_frame().expect("decodes").as_ref(), Some(frame));
        }
        assert_eq!(decoder.next_frame(), Ok(None));
    }

    #[test]
    fn bad_input_is_refused() {
        let mut decoder = Decoder::default();
        decoder.feed(&unhex("8002000100000000"));
        assert_eq!(decoder.next_frame(), Err(SpdyError::Version(2)));
        let mut decoder = Decoder::default();
        decoder.feed(&unhex("80030001000000020000"));
        assert_eq!(
            decoder.next_frame(),
            Err(SpdyError::Malformed("SYN_STREAM"))
        );
        // A header block that is not zlib at all.
        let mut decoder = Decoder::default();
        decoder.feed(&unhex("800300010000000e00000001000000000000deadbeef"));
        assert!(matches!(decoder.next_frame(), Err(SpdyError::Headers(_))));
    }
}

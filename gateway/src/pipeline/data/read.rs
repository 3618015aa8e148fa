//! Reads a subgraph answer into the response tree in one pass over its bytes.
//!
//! Reading the answers was most of the gateway's work on wide queries (65 % of the
//! instructions of the benchmark's fan-out case through serde's data model, which hands
//! every key and value through a visitor and grows each object's vector as it goes). This
//! reader builds the tree directly: pairs and items are gathered on two stacks shared by
//! the whole answer and each object or list is allocated once, at its exact size; the
//! answer is checked as UTF-8 at once, and a key or string without escapes is borrowed
//! from it as it stands.
//!
//! It reads JSON as RFC 8259 defines it — no comments, trailing commas, leading zeros or
//! raw control characters in strings; escapes checked, surrogate pairs joined and lone
//! surrogates refused — and numbers as `serde_json` does: an integer as `u64` or `i64` when
//! it fits (else `f64`), anything with a fraction or an exponent as `f64`. Nesting deeper
//! than [`MAX_DEPTH`] is refused, so a hostile answer cannot exhaust the stack.

use std::fmt;

use super::{Data, Object, Text};
use serde_json::Number;

/// How deeply objects and lists may nest: as deep as sonic-rs, which read the answers
/// before, allowed (a GraphQL answer nests about twice as deep as its operation).
pub(crate) const MAX_DEPTH: usize = 254;

/// Why an answer could not be read, and at which byte.
#[derive(Debug, PartialEq)]
pub(crate) struct ReadError {
    pub at: usize,
    pub reason: &'static str,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{} at byte {}", self.reason, self.at)
    }
}

impl std::error::Error for ReadError {}

/// Reads `json`, which must hold exactly one value (whitespace around it allowed).
pub(crate) fn read(json: &[u8]) -> Result<Data<'_>, ReadError> {
    // The whole answer is checked at once (SIMD): outside strings only ASCII is valid
    // anyway, and a string, cut at ASCII quotes and backslashes, is then valid UTF-8 too.
    let text = simdutf8::compat::from_utf8(json).map_err(|err| ReadError {
        at: err.valid_up_to(),
        reason: "invalid UTF-8",
    })?;
    let mut reader = Reader {
        text,
        json,
        at: 0,
        depth: 0,
        pairs: Vec::new(),
        items: Vec::new(),
    };
    let value = reader.value()?;
    reader.skip_whitespace();
    if reader.at != json.len() {
        return Err(reader.error("unexpected bytes after the value"));
    }
    Ok(value)
}

struct Reader<'j> {
    text: &'j str,
    /// `text`'s bytes.
    json: &'j [u8],
    at: usize,
    depth: usize,
    /// The pairs of the objects being read, innermost last.
    pairs: Vec<(Text<'j>, Data<'j>)>,
    /// The items of the lists being read, innermost last.
    items: Vec<Data<'j>>,
}

impl<'j> Reader<'j> {
    fn error(&self, reason: &'static str) -> ReadError {
        ReadError {
            at: self.at,
            reason,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.json.get(self.at).copied()
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.at += 1;
        }
    }

    /// Skips whitespace and consumes `byte`, which must come next.
    fn expect(&mut self, byte: u8, reason: &'static str) -> Result<(), ReadError> {
        self.skip_whitespace();
        if self.peek() != Some(byte) {
            return Err(self.error(reason));
        }
        self.at += 1;
        Ok(())
    }

    fn value(&mut self) -> Result<Data<'j>, ReadError> {
        self.skip_whitespace();
        match self.peek() {
            Some(b'{') => self.nested(Self::object),
            Some(b'[') => self.nested(Self::list),
            Some(b'"') => Ok(Data::String(self.string()?)),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.literal(b"true", Data::Bool(true)),
            Some(b'f') => self.literal(b"false", Data::Bool(false)),
            Some(b'n') => self.literal(b"null", Data::Null),
            Some(_) => Err(self.error("expected a value")),
            None => Err(self.error("the answer ends where a value should be")),
        }
    }

    fn nested(
        &mut self,
        read: fn(&mut Self) -> Result<Data<'j>, ReadError>,
    ) -> Result<Data<'j>, ReadError> {
        if self.depth == MAX_DEPTH {
            return Err(self.error("objects and lists nest too deeply"));
        }
        self.depth += 1;
        self.at += 1;
        let value = read(self);
        self.depth -= 1;
        value
    }

    /// An object, its `{` consumed.
    fn object(&mut self) -> Result<Data<'j>, ReadError> {
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Ok(Data::Object(Object::default()));
        }
        let start = self.pairs.len();
        let read = self.until_close(Self::pair, b'}', "expected ',' or '}'");
        // Keys are pushed without looking for duplicates: GraphQL responses have none, and
        // where a broken answer repeats one, lookups find its first value.
        let pairs = self.pairs.drain(start..).collect();
        read.map(|()| Data::Object(Object(pairs)))
    }

    /// One key and its value, onto `pairs`.
    fn pair(&mut self) -> Result<(), ReadError> {
        self.skip_whitespace();
        if self.peek() != Some(b'"') {
            return Err(self.error("expected a key"));
        }
        let key = self.string()?;
        self.expect(b':', "expected ':' after a key")?;
        let value = self.value()?;
        self.pairs.push((key, value));
        Ok(())
    }

    /// One value, onto `items`.
    fn item(&mut self) -> Result<(), ReadError> {
        let item = self.value()?;
        self.items.push(item);
        Ok(())
    }

    /// Elements read by `element`, separated by commas, up to `close`, which it consumes.
    fn until_close(
        &mut self,
        element: impl Fn(&mut Self) -> Result<(), ReadError>,
        close: u8,
        reason: &'static str,
    ) -> Result<(), ReadError> {
        loop {
            element(self)?;
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(byte) if byte == close => {
                    self.at += 1;
                    return Ok(());
                }
                _ => return Err(self.error(reason)),
            }
        }
    }

    /// A list, its `[` consumed.
    fn list(&mut self) -> Result<Data<'j>, ReadError> {
        self.skip_whitespace();
        if self.peek() == Some(b']') {
            self.at += 1;
            return Ok(Data::List(Vec::new()));
        }
        let start = self.items.len();
        let read = self.until_close(Self::item, b']', "expected ',' or ']'");
        let items = self.items.drain(start..).collect();
        read.map(|()| Data::List(items))
    }

    fn literal(&mut self, word: &'static [u8], value: Data<'j>) -> Result<Data<'j>, ReadError> {
        if !self.json[self.at..].starts_with(word) {
            return Err(self.error("expected a value"));
        }
        self.at += word.len();
        Ok(value)
    }

    /// A string, at its opening quote.
    fn string(&mut self) -> Result<Text<'j>, ReadError> {
        self.at += 1;
        let start = self.at;
        let end = self.plain_run(start);
        match self.json.get(end) {
            Some(b'"') => {
                let text = self.utf8(start, end)?;
                self.at = end + 1;
                Ok(Text::Borrowed(text))
            }
            Some(b'\\') => self.escaped_string(start, end),
            Some(_) => {
                self.at = end;
                Err(self.error("control character in a string"))
            }
            None => {
                self.at = end;
                Err(self.error("unterminated string"))
            }
        }
    }

    /// Where the run of bytes from `from` that need no attention ends: at a quote, a
    /// backslash, a control character or the end of the answer. Eight bytes at a time
    /// (answers' strings are short — ten bytes on average in the benchmark's — so this
    /// beats a SIMD search, whose setup costs more than the scan).
    fn plain_run(&self, from: usize) -> usize {
        const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
        const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
        // The high bit of each byte of the result is set where `word`'s byte is below `n`
        // (bytes are below 0x80 here or they carry no mark: checked below).
        let below = |word: u64, n: u8| word.wrapping_sub(ONES * u64::from(n)) & !word & HIGHS;
        let equal = |word: u64, byte: u8| below(word ^ (ONES * u64::from(byte)), 1);
        let mut at = from;
        while let Some(chunk) = self.json.get(at..at + 8) {
            let word = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
            let marks = below(word, 0x20) | equal(word, b'"') | equal(word, b'\\');
            if marks != 0 {
                return at + (marks.trailing_zeros() / 8) as usize;
            }
            at += 8;
        }
        let rest = &self.json[at..];
        at + rest
            .iter()
            .position(|&byte| byte == b'"' || byte == b'\\' || byte < 0x20)
            .unwrap_or(rest.len())
    }

    fn utf8(&self, start: usize, end: usize) -> Result<&'j str, ReadError> {
        // Both ends are at ASCII bytes, so on character boundaries.
        self.text.get(start..end).ok_or(ReadError {
            at: start,
            reason: "invalid UTF-8",
        })
    }

    /// The rest of a string from its first backslash at `end`, its start at `start`.
    fn escaped_string(&mut self, start: usize, end: usize) -> Result<Text<'j>, ReadError> {
        let mut unescaped = String::with_capacity(2 * (end - start) + 16);
        self.unescape(start, end, &mut unescaped)?;
        Ok(Text::Owned(unescaped))
    }

    fn unescape(
        &mut self,
        mut run_start: usize,
        mut run_end: usize,
        into: &mut String,
    ) -> Result<(), ReadError> {
        loop {
            into.push_str(self.utf8(run_start, run_end)?);
            self.at = run_end;
            match self.json.get(run_end) {
                Some(b'"') => {
                    self.at += 1;
                    return Ok(());
                }
                Some(b'\\') => self.escape(into)?,
                Some(_) => return Err(self.error("control character in a string")),
                None => return Err(self.error("unterminated string")),
            }
            run_start = self.at;
            run_end = self.plain_run(run_start);
        }
    }

    /// One escape, at its backslash.
    fn escape(&mut self, into: &mut String) -> Result<(), ReadError> {
        self.at += 1;
        let resolved = match self.peek() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                let unit = self.hex_unit()?;
                let code = match unit {
                    0xD800..=0xDBFF => {
                        if !self.json[self.at..].starts_with(b"\\u") {
                            return Err(self.error("lone surrogate in a string"));
                        }
                        self.at += 1;
                        let low = self.hex_unit()?;
                        if !(0xDC00..=0xDFFF).contains(&low) {
                            return Err(self.error("lone surrogate in a string"));
                        }
                        0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                    }
                    0xDC00..=0xDFFF => return Err(self.error("lone surrogate in a string")),
                    _ => unit,
                };
                into.push(char::from_u32(code).ok_or_else(|| self.error("invalid escape"))?);
                return Ok(());
            }
            _ => return Err(self.error("invalid escape")),
        };
        self.at += 1;
        into.push(resolved);
        Ok(())
    }

    /// The four hex digits of a `\u` escape, at its `u`; leaves the reader after them.
    fn hex_unit(&mut self) -> Result<u32, ReadError> {
        let digits = self
            .json
            .get(self.at + 1..self.at + 5)
            .ok_or_else(|| self.error("unterminated string"))?;
        let mut unit = 0;
        for &digit in digits {
            let value = (digit as char)
                .to_digit(16)
                .ok_or_else(|| self.error("invalid \\u escape"))?;
            unit = unit * 16 + value;
        }
        self.at += 5;
        Ok(unit)
    }

    fn digits(&mut self) -> usize {
        let start = self.at;
        while let Some(b'0'..=b'9') = self.peek() {
            self.at += 1;
        }
        self.at - start
    }

    /// A number, at its first byte.
    fn number(&mut self) -> Result<Data<'j>, ReadError> {
        let start = self.at;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.at += 1;
        }
        let integer_start = self.at;
        match self.digits() {
            0 => return Err(self.error("expected a digit")),
            1 => {}
            _ if self.json[integer_start] == b'0' => {
                return Err(ReadError {
                    at: integer_start,
                    reason: "leading zero in a number",
                })
            }
            _ => {}
        }
        let integer_end = self.at;
        let mut whole = true;
        if self.peek() == Some(b'.') {
            self.at += 1;
            if self.digits() == 0 {
                return Err(self.error("expected a digit"));
            }
            whole = false;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.at += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.at += 1;
            }
            if self.digits() == 0 {
                return Err(self.error("expected a digit"));
            }
            whole = false;
        }
        if whole {
            if let Some(magnitude) = integer(&self.json[integer_start..integer_end]) {
                if !negative {
                    return Ok(Data::Number(magnitude.into()));
                }
                // As serde_json: below i64::MIN, and -0, read as floats.
                let value = (magnitude as i64).wrapping_neg();
                if value < 0 {
                    return Ok(Data::Number(value.into()));
                }
            }
        }
        // The bytes are ASCII, checked above.
        let text = std::str::from_utf8(&self.json[start..self.at]).unwrap_or_default();
        text.parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map(Data::Number)
            .ok_or(ReadError {
                at: start,
                reason: "number out of range",
            })
    }
}

/// The value of a run of ASCII digits, when it fits a `u64`.
fn integer(digits: &[u8]) -> Option<u64> {
    digits.iter().try_fold(0u64, |value, &digit| {
        value.checked_mul(10)?.checked_add(u64::from(digit - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    /// Whether the tree reads as serde_json's value; floats within rounding of each other
    /// (serde_json's default float parser is not always correctly rounded).
    fn same(data: &Data, value: &Value) -> bool {
        match (data, value) {
            (Data::Null, Value::Null) => true,
            (Data::Bool(a), Value::Bool(b)) => a == b,
            (Data::String(a), Value::String(b)) => a == b,
            (Data::Number(a), Value::Number(b)) if a.is_f64() && b.is_f64() => {
                let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
                (a - b).abs() <= 1e-15 * a.abs().max(1.0)
            }
            (Data::Number(a), Value::Number(b)) => a == b,
            (Data::List(a), Value::Array(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same(a, b))
            }
            (Data::Object(a), Value::Object(b)) => {
                a.0.len() == b.len()
                    && a.entries()
                        .all(|(key, a)| b.get(&**key).is_some_and(|b| same(a, b)))
            }
            _ => false,
        }
    }

    const KEYS: [&str; 6] = ["alpha", "beta", "gamma", "delta", "第一区", "__typename"];
    const CHARS: [char; 14] = [
        'a', 'Z', '0', ' ', '"', '\\', '/', '\n', '\t', '\u{1}', '\u{7f}', 'é', '协', '😀',
    ];

    /// A random value, written as JSON with random whitespace and escapes.
    fn write_value(rng: &mut fastrand::Rng, depth: usize, out: &mut String) {
        let space = |rng: &mut fastrand::Rng, out: &mut String| {
            for _ in 0..rng.usize(0..3) {
                out.push([' ', '\n', '\r', '\t'][rng.usize(0..4)]);
            }
        };
        space(rng, out);
        match rng.usize(0..if depth < 5 { 9 } else { 7 }) {
            0 => out.push_str("null"),
            1 => out.push_str(if rng.bool() { "true" } else { "false" }),
            2 => out.push_str(&rng.i64(..).to_string()),
            3 => out.push_str(&rng.u64(..).to_string()),
            4 => {
                let float = f64::from_bits(rng.u64(..));
                let float = if float.is_finite() { float } else { rng.f64() };
                out.push_str(&serde_json::to_string(&float).unwrap());
            }
            5 => out.push_str(["0", "-0", "1e2", "-1.5E-3", "0.0"][rng.usize(0..5)]),
            6 => {
                let text: String = (0..rng.usize(0..30))
                    .map(|_| CHARS[rng.usize(0..CHARS.len())])
                    .collect();
                write_string(rng, &text, out);
            }
            7 => {
                out.push('[');
                for index in 0..rng.usize(0..5) {
                    if index > 0 {
                        out.push(',');
                    }
                    write_value(rng, depth + 1, out);
                }
                space(rng, out);
                out.push(']');
            }
            _ => {
                out.push('{');
                let mut keys = KEYS.to_vec();
                rng.shuffle(&mut keys);
                for (index, key) in keys.iter().take(rng.usize(0..5)).enumerate() {
                    if index > 0 {
                        out.push(',');
                    }
                    space(rng, out);
                    write_string(rng, key, out);
                    space(rng, out);
                    out.push(':');
                    write_value(rng, depth + 1, out);
                }
                space(rng, out);
                out.push('}');
            }
        }
        space(rng, out);
    }

    fn write_string(rng: &mut fastrand::Rng, text: &str, out: &mut String) {
        out.push('"');
        for character in text.chars() {
            let short = match character {
                '"' => Some("\\\""),
                '\\' => Some("\\\\"),
                '/' => Some("\\/"),
                '\n' => Some("\\n"),
                '\t' => Some("\\t"),
                _ => None,
            };
            let must_escape = matches!(character, '"' | '\\') || character < ' ';
            match (short, must_escape || rng.usize(0..8) == 0) {
                (Some(short), true) if rng.bool() => out.push_str(short),
                (_, true) => {
                    let mut units = [0u16; 2];
                    for unit in character.encode_utf16(&mut units) {
                        out.push_str(&format!("\\u{unit:04X}"));
                    }
                }
                (_, false) => out.push(character),
            }
        }
        out.push('"');
    }

    #[test]
    fn reads_what_serde_json_reads() {
        let mut rng = fastrand::Rng::with_seed(20261207);
        for _ in 0..3000 {
            let mut json = String::new();
            write_value(&mut rng, 0, &mut json);
            let expected: Value = serde_json::from_str(&json).unwrap();
            let data = read(json.as_bytes()).unwrap_or_else(|err| panic!("{err}: {json}"));
            assert!(same(&data, &expected), "{json}");
        }
    }

    #[test]
    fn refuses_what_serde_json_refuses() {
        // Bytes that matter to JSON, and bytes that are never valid where they land.
        const BYTES: &[u8] = b"{}[],:\"\\-+.eE0129 \ttfnu\x00\x1f\xff\xc3";
        let mut rng = fastrand::Rng::with_seed(7);
        let mut refused = 0;
        for _ in 0..20_000 {
            let mut json = String::new();
            write_value(&mut rng, 0, &mut json);
            let mut bytes = json.into_bytes();
            for _ in 0..rng.usize(1..3) {
                if bytes.is_empty() {
                    break;
                }
                let at = rng.usize(0..bytes.len());
                match rng.usize(0..4) {
                    0 => bytes.truncate(at),
                    1 => {
                        bytes.remove(at);
                    }
                    2 => bytes.insert(at, BYTES[rng.usize(0..BYTES.len())]),
                    _ => bytes[at] = BYTES[rng.usize(0..BYTES.len())],
                }
            }
            let shown = String::from_utf8_lossy(&bytes);
            match (read(&bytes), serde_json::from_slice::<Value>(&bytes)) {
                (Ok(data), Ok(expected)) => assert!(same(&data, &expected), "{shown}"),
                (Err(_), Err(_)) => refused += 1,
                (Ok(_), Err(err)) => panic!("read what serde_json refuses ({err}): {shown}"),
                (Err(err), Ok(_)) => panic!("refused what serde_json reads ({err}): {shown}"),
            }
        }
        assert!(
            refused > 10_000,
            "only {refused} of the broken inputs were refused"
        );
    }

    #[test]
    fn nesting_is_bounded() {
        let nested = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        assert!(read(nested(MAX_DEPTH).as_bytes()).is_ok());
        let too_deep = read(nested(MAX_DEPTH + 1).as_bytes()).unwrap_err();
        assert_eq!(too_deep.reason, "objects and lists nest too deeply");
        // Far deeper than any stack would hold if the reader recursed unbounded.
        let hostile = format!("{}1", r#"{"a":["#.repeat(1_000_000));
        assert!(read(hostile.as_bytes()).is_err());
    }

    #[test]
    fn errors_say_where() {
        assert_eq!(
            read(br#"{"a":tru}"#).unwrap_err(),
            ReadError {
                at: 5,
                reason: "expected a value"
            }
        );
        assert_eq!(
            read(b"{\"a\":\"x\xffy\"}").unwrap_err(),
            ReadError {
                at: 7,
                reason: "invalid UTF-8"
            }
        );
        assert_eq!(
            read(b"[01]").unwrap_err().reason,
            "leading zero in a number"
        );
        assert_eq!(read(b"1e400").unwrap_err().reason, "number out of range");
    }
}

//! A small RFC 4180 record splitter for the CSV formats (SDMX-CSV, DESI, Opendatasoft): any
//! single-byte ASCII delimiter, quoted fields with `""` escapes and embedded newlines, LF or CRLF.
//! Fields borrow from the input unless they hold an escaped quote. Knows nothing of columns or
//! their meaning, and must not: callers map fields to columns.

use std::borrow::Cow;

/// Reads records one at a time, remembering the line each starts on.
pub struct Records<'a> {
    text: &'a str,
    pos: usize,
    line: usize,
    delim: u8,
}

/// A record that breaks the CSV rules.
#[derive(Debug, PartialEq, Eq)]
pub struct CsvError {
    pub line: usize,
    pub reason: String,
}

impl<'a> Records<'a> {
    /// `delim` must be an ASCII byte.
    pub fn new(text: &'a str, delim: u8) -> Self {
        Self {
            text,
            pos: 0,
            line: 1,
            delim,
        }
    }

    /// Reads the next record into `fields` (cleared first) and returns the 1-based line it
    /// starts on, or `None` at the end of the text. A blank line gives one empty field.
    pub fn next_into(&mut self, fields: &mut Vec<Cow<'a, str>>) -> Result<Option<usize>, CsvError> {
        let bytes = self.text.as_bytes();
        let len = bytes.len();
        if self.pos >= len {
            return Ok(None);
        }
        fields.clear();
        let start_line = self.line;
        loop {
            let field_start = self.pos;
            if bytes.get(field_start) == Some(&b'"') {
                let mut owned: Option<String> = None;
                let mut seg = field_start + 1;
                let mut i = seg;
                loop {
                    let Some(off) = memchr::memchr(b'"', &bytes[i..]) else {
                        return Err(CsvError {
                            line: start_line,
                            reason: "a quoted field is never closed".to_owned(),
                        });
                    };
                    let q = i + off;
                    self.line += memchr::memchr_iter(b'\n', &bytes[i..q]).count();
                    if bytes.get(q + 1) == Some(&b'"') {
                        owned
                            .get_or_insert_with(String::new)
                            .push_str(&self.text[seg..=q]);
                        i = q + 2;
                        seg = i;
                    } else {
                        let field = match owned.take() {
                            Some(mut s) => {
                                s.push_str(&self.text[seg..q]);
                                Cow::Owned(s)
                            }
                            None => Cow::Borrowed(&self.text[seg..q]),
                        };
                        fields.push(field);
                        self.pos = q + 1;
                        break;
                    }
                }
                // After the closing quote: a delimiter, a line end, or the end of the text.
                match bytes.get(self.pos) {
                    None => return Ok(Some(start_line)),
                    Some(&b) if b == self.delim => {
                        self.pos += 1;
                        continue;
                    }
                    Some(b'\n') => {
                        self.pos += 1;
                        self.line += 1;
                        return Ok(Some(start_line));
                    }
                    Some(b'\r') if matches!(bytes.get(self.pos + 1), Some(b'\n') | None) => {
                        self.pos += 2;
                        self.line += 1;
                        return Ok(Some(start_line));
                    }
                    Some(_) => {
                        return Err(CsvError {
                            line: self.line,
                            reason: "text follows the closing quote of a field".to_owned(),
                        });
                    }
                }
            } else {
                let end = memchr::memchr2(self.delim, b'\n', &bytes[field_start..])
                    .map_or(len, |o| field_start + o);
                let at_delim = bytes.get(end) == Some(&self.delim);
                let mut field = &self.text[field_start..end];
                if !at_delim {
                    field = field.strip_suffix('\r').unwrap_or(field);
                }
                fields.push(Cow::Borrowed(field));
                self.pos = end + 1;
                if at_delim {
                    continue;
                }
                if end < len {
                    self.line += 1;
                }
                return Ok(Some(start_line));
            }
        }
    }
}

/// True when every field is empty or blank (a blank line, or a row of empty cells).
pub fn is_blank(fields: &[Cow<'_, str>]) -> bool {
    fields.iter().all(|f| f.trim().is_empty())
}

impl<'a> Records<'a> {
    /// The next data row of a table whose header has `width` fields: blank lines are skipped, a
    /// row of another width is an error naming its line.
    pub fn next_row(
        &mut self,
        fields: &mut Vec<Cow<'a, str>>,
        width: usize,
    ) -> Result<Option<usize>, CsvError> {
        while let Some(line) = self.next_into(fields)? {
            if is_blank(fields) {
                continue;
            }
            if fields.len() != width {
                return Err(CsvError {
                    line,
                    reason: format!(
                        "the row has {} fields but the header has {width}",
                        fields.len()
                    ),
                });
            }
            return Ok(Some(line));
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_row_skips_blank_lines_and_names_the_line_of_a_row_of_the_wrong_width() {
        let mut r = Records::new("a,b\n\n1,2\n3\n", b',');
        let mut fields = Vec::new();
        assert_eq!(r.next_row(&mut fields, 2).unwrap(), Some(1));
        assert_eq!(r.next_row(&mut fields, 2).unwrap(), Some(3));
        let e = r.next_row(&mut fields, 2).unwrap_err();
        assert_eq!(e.line, 4);
        assert!(
            e.reason.contains("1 fields but the header has 2"),
            "{}",
            e.reason
        );
    }

    fn all(text: &str, delim: u8) -> Result<Vec<(usize, Vec<String>)>, CsvError> {
        let mut r = Records::new(text, delim);
        let mut fields = Vec::new();
        let mut out = Vec::new();
        while let Some(line) = r.next_into(&mut fields)? {
            out.push((line, fields.iter().map(|f| f.to_string()).collect()));
        }
        Ok(out)
    }

    #[test]
    fn plain_fields_split_on_the_delimiter_with_lf_or_crlf() {
        let got = all("a,b,c\r\n1,,3\n", b',').unwrap();
        assert_eq!(
            got,
            [
                (1, vec!["a".into(), "b".into(), "c".into()]),
                (2, vec!["1".into(), "".into(), "3".into()])
            ]
        );
    }

    #[test]
    fn quoted_fields_keep_delimiters_quotes_and_newlines() {
        let text = "x;y\n\"a;b\";\"say \"\"hi\"\"\"\n\"two\nlines\";z\nlast;\"\"";
        let got = all(text, b';').unwrap();
        assert_eq!(
            got[1],
            (2, vec!["a;b".to_string(), "say \"hi\"".to_string()])
        );
        assert_eq!(got[2], (3, vec!["two\nlines".to_string(), "z".to_string()]));
        assert_eq!(got[3], (5, vec!["last".to_string(), String::new()]));
    }

    #[test]
    fn a_missing_final_newline_and_a_trailing_delimiter_are_fine() {
        let got = all("a,b\n1,", b',').unwrap();
        assert_eq!(got[1].1, ["1", ""]);
    }

    #[test]
    fn an_unclosed_quote_is_an_error_naming_the_line() {
        let err = all("a,b\n1,\"open\n", b',').unwrap_err();
        assert_eq!(err.line, 2);
    }

    #[test]
    fn text_after_a_closing_quote_is_an_error() {
        assert!(all("\"a\"b,c\n", b',').is_err());
    }

    #[test]
    fn blank_lines_read_as_one_empty_field() {
        let got = all("a\n\nb\n", b',').unwrap();
        assert_eq!(got.len(), 3);
        assert!(is_blank(&[Cow::Borrowed("")]));
        assert_eq!(got[2].0, 3);
    }
}

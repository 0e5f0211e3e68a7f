//! Diagnostics about data files: where (`file:line`) and what is wrong.

use std::fmt;

/// One problem found in a data file, printed as `file:line: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file's path as the caller named it (relative to the catalog root).
    pub file: String,
    /// 1-based line; 0 when the problem concerns the file as a whole.
    pub line: usize,
    pub message: String,
}

impl Diagnostic {
    pub fn new(file: impl Into<String>, line: usize, message: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            line,
            message: message.into(),
        }
    }

    /// The diagnostic for a byte offset in `text`.
    pub fn at_offset(file: &str, text: &str, offset: usize, message: impl Into<String>) -> Self {
        Self::new(file, line_of(text, offset), message)
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line.max(1), self.message)
    }
}

/// The 1-based line number of a byte offset in `text`.
pub fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_count_from_one() {
        let text = "a = 1\nb = 2\nc = 3\n";
        assert_eq!(line_of(text, 0), 1);
        assert_eq!(line_of(text, 6), 2);
        assert_eq!(line_of(text, 14), 3);
        assert_eq!(line_of(text, 10_000), 4);
        assert_eq!(
            Diagnostic::at_offset("x.toml", text, 7, "bad").to_string(),
            "x.toml:2: bad"
        );
    }
}

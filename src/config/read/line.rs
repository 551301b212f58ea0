//! A logical configuration line and where each of its bytes was written.
//!
//! keepalived rewrites lines before it splits them into words: comments are cut, `\#`
//! loses its backslash, `$NAME` is replaced by its value, `~SEQ` repeats a tail of the
//! line. [`Line`] keeps a small, sorted list of [`Piece`]s next to the text so that every
//! word can still be given the [`Span`] of the text the user wrote: bytes copied from a
//! file map to their own offsets, bytes produced by a substitution map to the `$NAME` use.
//!
//! The common case (a line straight from a file, untouched) is one piece and a borrowed
//! `&str`, so reading a large file allocates nothing per line here.

use std::borrow::Cow;
use std::ops::Range;

use crate::config::span::{FileId, Span};

/// Where the bytes of one piece come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Src {
    /// Byte `at + k` of the line is byte `base + k` of `file`.
    At { file: FileId, base: usize },
    /// Every byte of the piece was produced at this place (a `$NAME` use, a `~SEQ`).
    Fixed(Span),
}

/// A run of line bytes starting at `at`, up to the next piece.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Piece {
    pub at: usize,
    pub src: Src,
}

#[derive(Clone, Debug)]
enum Pieces {
    One(Piece),
    Many(Vec<Piece>),
}

/// Text plus its origin map. Invariant: there is at least one piece and the first is at 0.
#[derive(Clone, Debug)]
pub struct Line<'a> {
    pub text: Cow<'a, str>,
    pieces: Pieces,
}

fn blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

impl<'a> Line<'a> {
    /// A line copied verbatim from `file`, starting at byte `base`.
    pub fn from_source(file: FileId, base: usize, text: &'a str) -> Line<'a> {
        Line {
            text: Cow::Borrowed(text),
            pieces: Pieces::One(Piece {
                at: 0,
                src: Src::At { file, base },
            }),
        }
    }

    /// A generated line whose every byte is attributed to `span`.
    pub fn fixed(text: String, span: Span) -> Line<'a> {
        Line {
            text: Cow::Owned(text),
            pieces: Pieces::One(Piece {
                at: 0,
                src: Src::Fixed(span),
            }),
        }
    }

    pub fn len(&self) -> usize {
        self.text.len()
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    pub fn pieces(&self) -> &[Piece] {
        match &self.pieces {
            Pieces::One(p) => std::slice::from_ref(p),
            Pieces::Many(v) => v,
        }
    }

    fn index_at(pieces: &[Piece], pos: usize) -> usize {
        pieces.partition_point(|p| p.at <= pos).saturating_sub(1)
    }

    /// The source span of the line bytes `r` (a zero-width span for an empty range).
    ///
    /// When `r` starts and ends in the same file the span covers everything between;
    /// otherwise it is the span of the first byte's piece.
    pub fn span_of(&self, r: Range<usize>) -> Span {
        let pieces = self.pieces();
        let start = r.start.min(self.len());
        let end = r.end.clamp(start, self.len());
        let last = if end > start { end - 1 } else { start };
        let i = Self::index_at(pieces, start);
        let j = Self::index_at(pieces, last);
        let (Some(a), Some(b)) = (pieces.get(i), pieces.get(j)) else {
            return Span::new(FileId(0), 0, 0);
        };
        let (file_a, from) = match a.src {
            Src::At { file, base } => (file, base + (start - a.at)),
            Src::Fixed(s) => (s.file, s.start as usize),
        };
        let (file_b, to) = match b.src {
            Src::At { file, base } => (file, base + end.saturating_sub(b.at)),
            Src::Fixed(s) => (s.file, s.end as usize),
        };
        if file_a == file_b && from <= to {
            return Span::new(file_a, from, to);
        }
        match a.src {
            Src::Fixed(s) => s,
            Src::At { file, base } => {
                let piece_end = pieces.get(i + 1).map_or(end, |n| n.at.min(end));
                Span::new(file, from, base + (piece_end - a.at))
            }
        }
    }

    /// The sub-line `r` (which must lie on char boundaries; clamped otherwise to "").
    pub fn slice(&self, r: Range<usize>) -> Line<'a> {
        let start = r.start.min(self.len());
        let end = r.end.clamp(start, self.len());
        let text = match &self.text {
            Cow::Borrowed(s) => Cow::Borrowed(s.get(start..end).unwrap_or("")),
            Cow::Owned(s) => Cow::Owned(s.get(start..end).unwrap_or("").to_string()),
        };
        if let Pieces::One(p) = &self.pieces {
            // The common case: no allocation for the origin map.
            return Line {
                text,
                pieces: Pieces::One(Piece {
                    at: 0,
                    src: shift(p.src, start.saturating_sub(p.at)),
                }),
            };
        }
        let pieces = self.pieces();
        let first = Self::index_at(pieces, start);
        let mut out: Vec<Piece> = Vec::new();
        for (k, p) in pieces.iter().enumerate().skip(first) {
            if k > first && p.at >= end {
                break;
            }
            let piece = if k == first {
                Piece {
                    at: 0,
                    src: shift(p.src, start.saturating_sub(p.at)),
                }
            } else {
                Piece {
                    at: p.at - start,
                    src: p.src,
                }
            };
            push_merge(&mut out, piece);
        }
        Line {
            text,
            pieces: pack(out, self.pieces()),
        }
    }

    /// Without leading blanks (space, tab).
    pub fn trim_start(&self) -> Line<'a> {
        let n = self.text.bytes().take_while(|&b| blank(b)).count();
        if n == 0 {
            self.clone()
        } else {
            self.slice(n..self.len())
        }
    }

    /// Without leading and trailing blanks (space, tab).
    pub fn trim(&self) -> Line<'a> {
        let bytes = self.text.as_bytes();
        let start = bytes.iter().take_while(|&&b| blank(b)).count();
        let end = bytes.len()
            - bytes
                .iter()
                .rev()
                .take_while(|&&b| blank(b))
                .count()
                .min(bytes.len() - start);
        if start == 0 && end == bytes.len() {
            self.clone()
        } else {
            self.slice(start..end)
        }
    }

    /// Replaces the bytes `r` by `with`, whose bytes are attributed to `span` (or, when
    /// `span` is `None`, `with` must be empty: a plain removal).
    pub fn splice(&mut self, r: Range<usize>, with: &str, span: Option<Span>) {
        let start = r.start.min(self.len());
        let end = r.end.clamp(start, self.len());
        if !self.text.is_char_boundary(start) || !self.text.is_char_boundary(end) {
            return;
        }
        let old = self.pieces();
        let mut out: Vec<Piece> = Vec::with_capacity(old.len() + 2);
        for p in old.iter().take_while(|p| p.at < start) {
            push_merge(&mut out, *p);
        }
        if let (false, Some(span)) = (with.is_empty(), span) {
            push_merge(
                &mut out,
                Piece {
                    at: start,
                    src: Src::Fixed(span),
                },
            );
        }
        let new_end = start + with.len();
        if end < self.len() {
            let i = Self::index_at(old, end);
            if let Some(p) = old.get(i) {
                push_merge(
                    &mut out,
                    Piece {
                        at: new_end,
                        src: shift(p.src, end - p.at),
                    },
                );
            }
            for q in old.iter().skip(i + 1) {
                push_merge(
                    &mut out,
                    Piece {
                        at: q.at - end + new_end,
                        src: q.src,
                    },
                );
            }
        }
        let pieces = pack(out, old);
        self.text.to_mut().replace_range(start..end, with);
        self.pieces = pieces;
    }
}

/// Moves an `At` source `by` bytes forward; a `Fixed` source stays.
fn shift(src: Src, by: usize) -> Src {
    match src {
        Src::At { file, base } => Src::At {
            file,
            base: base + by,
        },
        fixed => fixed,
    }
}

/// Appends a piece, dropping it when it merely continues the previous one (keeps piece
/// lists short when a definition expands recursively inside its own use).
fn push_merge(out: &mut Vec<Piece>, p: Piece) {
    if let Some(last) = out.last_mut() {
        if last.at == p.at {
            *last = p;
            return;
        }
        let continues = match (last.src, p.src) {
            (Src::Fixed(a), Src::Fixed(b)) => a == b,
            (Src::At { file: fa, base: ba }, Src::At { file: fb, base: bb }) => {
                fa == fb && bb == ba + (p.at - last.at)
            }
            _ => false,
        };
        if continues {
            return;
        }
    }
    out.push(p);
}

fn pack(mut out: Vec<Piece>, fallback: &[Piece]) -> Pieces {
    if out.is_empty() {
        let src = fallback.first().map_or(
            Src::At {
                file: FileId(0),
                base: 0,
            },
            |p| p.src,
        );
        return Pieces::One(Piece { at: 0, src });
    }
    if let Some(first) = out.first_mut() {
        first.at = 0;
    }
    match out.as_slice() {
        [one] => Pieces::One(*one),
        _ => Pieces::Many(out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const F: FileId = FileId(0);

    fn sp(a: usize, b: usize) -> Span {
        Span::new(F, a, b)
    }

    #[test]
    fn source_line_maps_offsets() {
        let l = Line::from_source(F, 10, "abc def");
        assert_eq!(l.span_of(4..7), sp(14, 17));
        let s = l.slice(4..7);
        assert_eq!(s.text, "def");
        assert_eq!(s.span_of(0..3), sp(14, 17));
    }

    #[test]
    fn removal_keeps_following_offsets() {
        // `a\#b` at offset 0: removing the backslash keeps `#b` at 2..4.
        let mut l = Line::from_source(F, 0, "a\\#b c");
        l.splice(1..2, "", None);
        assert_eq!(l.text, "a#b c");
        assert_eq!(l.span_of(0..3), sp(0, 4));
        assert_eq!(l.span_of(4..5), sp(5, 6));
    }

    #[test]
    fn substitution_maps_to_use_site() {
        // `kw_$A x` with A=long_value.
        let mut l = Line::from_source(F, 100, "kw_$A x");
        let use_span = l.span_of(3..5);
        l.splice(3..5, "long_value", Some(use_span));
        assert_eq!(l.text, "kw_long_value x");
        assert_eq!(l.span_of(0..13), sp(100, 105));
        assert_eq!(l.span_of(3..7), sp(103, 105));
        assert_eq!(l.span_of(14..15), sp(106, 107));
    }

    #[test]
    fn nested_substitution_merges_pieces() {
        let mut l = Line::from_source(F, 0, "$A");
        let s = l.span_of(0..2);
        l.splice(0..2, "${A}${A}", Some(s));
        for _ in 0..50 {
            let s = l.span_of(0..4);
            l.splice(0..4, "${A}${A}", Some(s));
        }
        assert_eq!(l.pieces().len(), 1);
        assert_eq!(l.span_of(0..l.len()), sp(0, 2));
    }

    #[test]
    fn trim_and_empty_ranges() {
        let l = Line::from_source(F, 5, "  ab  ");
        let t = l.trim();
        assert_eq!(t.text, "ab");
        assert_eq!(t.span_of(0..2), sp(7, 9));
        assert_eq!(t.span_of(2..2), sp(9, 9));
        let e = l.slice(6..6);
        assert!(e.is_empty());
        assert_eq!(e.pieces().len(), 1);
    }
}

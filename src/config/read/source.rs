//! The files a configuration was read from, and the one place that touches the file system.
//!
//! [`SourceMap`] keeps every file's text so diagnostics can show the line and a caret.
//! [`Loader`] abstracts reading files and expanding include globs; [`FsLoader`] is the real
//! file system, [`MemLoader`] an in-memory tree for tests and fuzzing.

use std::cell::OnceCell;
use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::span::{FileId, Span};

/// One file that was read.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    /// Shared with the parser, so a large file is held once. An `Arc<String>` rather than an
    /// `Arc<str>`: the text read is moved in, not copied (5 MB for a 10,000-instance file).
    pub text: Arc<String>,
    /// Byte offset of the start of every line, built at the first position asked for: only
    /// diagnostics need it, and a clean check of a 260,000-line file spent 6 % building it.
    line_starts: OnceCell<Vec<usize>>,
}

impl SourceFile {
    pub fn new(path: PathBuf, text: impl Into<Arc<String>>) -> SourceFile {
        SourceFile {
            path,
            text: text.into(),
            line_starts: OnceCell::new(),
        }
    }

    fn line_starts(&self) -> &[usize] {
        self.line_starts.get_or_init(|| {
            let mut starts = vec![0];
            starts.extend(memchr::memchr_iter(b'\n', self.text.as_bytes()).map(|i| i + 1));
            starts
        })
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let starts = self.line_starts();
        let line = match starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = starts.get(line).copied().unwrap_or(0);
        let col = self
            .text
            .get(start..offset)
            .map(|s| s.chars().count())
            .unwrap_or(0);
        (line + 1, col + 1)
    }

    /// The text of a 1-based line, without its line terminator.
    pub fn line_text(&self, line: usize) -> &str {
        let starts = self.line_starts();
        let Some(&start) = line.checked_sub(1).and_then(|l| starts.get(l)) else {
            return "";
        };
        let end = starts.get(line).copied().unwrap_or(self.text.len());
        self.text
            .get(start..end)
            .unwrap_or("")
            .trim_end_matches(['\n', '\r'])
    }

    /// Byte offset of the start of a 1-based line.
    pub fn line_start(&self, line: usize) -> usize {
        line.checked_sub(1)
            .and_then(|l| self.line_starts().get(l))
            .copied()
            .unwrap_or(self.text.len())
    }

    pub fn line_count(&self) -> usize {
        self.line_starts().len()
    }
}

/// All files read for one configuration, indexed by [`FileId`].
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    pub fn add(&mut self, path: PathBuf, text: impl Into<Arc<String>>) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).unwrap_or(u32::MAX));
        self.files.push(SourceFile::new(path, text));
        id
    }

    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }

    /// The text a span covers ("" when the span is not inside its file).
    pub fn text(&self, span: Span) -> &str {
        self.get(span.file)
            .and_then(|f| f.text.get(span.start as usize..span.end as usize))
            .unwrap_or("")
    }

    /// Path, 1-based line and column of the start of a span.
    pub fn locate(&self, span: Span) -> Option<(&Path, usize, usize)> {
        let f = self.get(span.file)?;
        let (l, c) = f.line_col(span.start as usize);
        Some((f.path.as_path(), l, c))
    }
}

/// What is found at a path, as far as `include` cares (keepalived skips directories and
/// files with any execute bit: "is not a regular non-executable file - skipping").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Missing,
    Regular,
    Directory,
    Executable,
    /// Exists but cannot be read (permissions), or is a socket, fifo, device.
    Unreadable,
}

/// File access used by the parser. Everything else in `config` is pure.
pub trait Loader {
    /// Reads a whole file as text (invalid UTF-8 is replaced, not rejected).
    fn read(&self, path: &Path) -> io::Result<String>;
    /// Expands one glob pattern *without* braces (the caller expands `{a,b}` first) into the
    /// matching paths in sorted order. A pattern without wildcards yields itself if it exists.
    fn glob(&self, pattern: &str) -> Vec<PathBuf>;
    /// What is at `path`.
    fn kind(&self, path: &Path) -> FileKind;
}

/// The real file system.
#[derive(Debug, Default, Clone, Copy)]
pub struct FsLoader;

impl Loader for FsLoader {
    fn read(&self, path: &Path) -> io::Result<String> {
        let bytes = std::fs::read(path)?;
        Ok(match String::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        })
    }

    fn glob(&self, pattern: &str) -> Vec<PathBuf> {
        // As glob(3) without flags: `*` does not match a leading dot or a `/`.
        let opts = glob::MatchOptions {
            case_sensitive: true,
            require_literal_separator: true,
            require_literal_leading_dot: true,
        };
        let mut out: Vec<PathBuf> = match glob::glob_with(pattern, opts) {
            Ok(paths) => paths.filter_map(Result::ok).collect(),
            Err(_) => Vec::new(),
        };
        out.sort();
        out
    }

    fn kind(&self, path: &Path) -> FileKind {
        use std::os::unix::fs::PermissionsExt;
        match std::fs::metadata(path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => FileKind::Missing,
            Err(_) => FileKind::Unreadable,
            Ok(m) if m.is_dir() => FileKind::Directory,
            Ok(m) if !m.is_file() => FileKind::Unreadable,
            Ok(m) if m.permissions().mode() & 0o111 != 0 => FileKind::Executable,
            Ok(_) => match std::fs::File::open(path) {
                Ok(_) => FileKind::Regular,
                Err(_) => FileKind::Unreadable,
            },
        }
    }
}

/// An in-memory file tree, for tests and fuzzing. Paths should be absolute.
#[derive(Debug, Default, Clone)]
pub struct MemLoader {
    pub files: BTreeMap<PathBuf, String>,
}

impl MemLoader {
    pub fn new() -> MemLoader {
        MemLoader::default()
    }

    pub fn with(mut self, path: impl Into<PathBuf>, text: impl Into<String>) -> MemLoader {
        self.files.insert(path.into(), text.into());
        self
    }
}

impl Loader for MemLoader {
    fn read(&self, path: &Path) -> io::Result<String> {
        self.files
            .get(path)
            .cloned()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such file"))
    }

    fn glob(&self, pattern: &str) -> Vec<PathBuf> {
        let Ok(pat) = glob::Pattern::new(pattern) else {
            return Vec::new();
        };
        let opts = glob::MatchOptions {
            case_sensitive: true,
            require_literal_separator: true,
            require_literal_leading_dot: true,
        };
        self.files
            .keys()
            .filter(|p| p.to_str().is_some_and(|s| pat.matches_with(s, opts)))
            .cloned()
            .collect()
    }

    fn kind(&self, path: &Path) -> FileKind {
        if self.files.contains_key(path) {
            FileKind::Regular
        } else if self.files.keys().any(|p| p.starts_with(path)) {
            FileKind::Directory
        } else {
            FileKind::Missing
        }
    }
}

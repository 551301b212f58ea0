//! The entry points of reading: a file (through a [`Loader`]) or an in-memory text, into a
//! statement tree ([`Parsed`]) or a stream of top-level statements. The steps every line
//! goes through are listed in the [`super`] module documentation.

use std::path::Path;

use super::expand::Expander;
use super::options::{ParseOptions, Parsed, ReadError};
use super::source::{FileKind, Loader, MemLoader};
use super::syntax::Stmt;
use crate::config::diag::{Diagnostic, Severity};

/// Reads and parses the main file `main` and everything it includes.
///
/// `Err` only when `main` itself cannot be read (missing, unreadable, a directory).
pub fn parse_file(
    loader: &dyn Loader,
    main: &Path,
    opts: &ParseOptions,
) -> Result<Parsed, ReadError> {
    parse_file_inner(loader, main, opts, None)
}

/// Like [`parse_file`], but every top-level statement is handed to `sink` as soon as it is
/// complete, in file order, instead of being collected in [`Parsed::stmts`] (which stays
/// empty). Lowering can then run while the file is read, so a configuration with thousands
/// of instances never exists as one whole statement tree in memory.
pub fn parse_file_streaming(
    loader: &dyn Loader,
    main: &Path,
    opts: &ParseOptions,
    sink: &mut dyn FnMut(&Stmt),
) -> Result<Parsed, ReadError> {
    parse_file_inner(loader, main, opts, Some(sink))
}

fn parse_file_inner<'a>(
    loader: &'a dyn Loader,
    main: &Path,
    opts: &'a ParseOptions,
    sink: Option<&'a mut dyn FnMut(&Stmt)>,
) -> Result<Parsed, ReadError> {
    let fail = |message: String| ReadError {
        path: main.to_path_buf(),
        message,
    };
    let kind = loader.kind(main);
    if kind == FileKind::Directory {
        return Err(fail("is a directory".to_string()));
    }
    let text = loader.read(main).map_err(|e| fail(e.to_string()))?;
    let mut ex = Expander::new(loader, opts);
    ex.sink = sink;
    if kind == FileKind::Executable {
        ex.diags.push(Diagnostic::new(
            Severity::Warning,
            None,
            format!(
                "Configuration file '{}' is executable; keepalived would skip it as not a regular non-executable file",
                main.display()
            ),
        ));
    }
    ex.run(main, text);
    Ok(ex.finish())
}

/// Parses one in-memory text as a whole configuration named `keepalived.conf`, with no
/// files to include (tests).
pub fn parse_str(text: &str) -> Parsed {
    parse_str_with(text, &MemLoader::new(), &ParseOptions::default())
}

/// Parses an in-memory main file named `keepalived.conf` (relative, so relative includes
/// are looked up as written), reading includes through `loader`.
pub fn parse_str_with(text: &str, loader: &dyn Loader, opts: &ParseOptions) -> Parsed {
    let mut ex = Expander::new(loader, opts);
    ex.run(Path::new("keepalived.conf"), text.to_string());
    ex.finish()
}

/// [`parse_str_with`] with every line through the general path (tests of the fast path).
#[cfg(test)]
pub(super) fn parse_str_general(text: &str, loader: &dyn Loader, opts: &ParseOptions) -> Parsed {
    let mut ex = Expander::new(loader, opts);
    ex.fast = false;
    ex.run(Path::new("keepalived.conf"), text.to_string());
    ex.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(stmts: &[Stmt]) -> Vec<String> {
        stmts
            .iter()
            .map(|s| {
                let mut v = vec![s.keyword.text.clone()];
                v.extend(s.args.iter().map(|w| w.text.clone()));
                let mut line = v.join(" ");
                if let Some(b) = &s.block {
                    line.push_str(&format!(" {{{}}}", texts(&b.stmts).join("; ")));
                }
                line
            })
            .collect()
    }

    #[test]
    fn one_line_blocks_and_residue() {
        let p = parse_str("global_defs { router_id X } extra1 y\n");
        assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
        assert_eq!(texts(&p.stmts), ["global_defs {router_id X}", "extra1 y"]);
    }

    #[test]
    fn definitions_seq_and_conditionals() {
        let opts = ParseOptions {
            config_id: Some("lb1".into()),
            ..ParseOptions::default()
        };
        let text = "$IF=eth0\n@lb1 a $IF\n@lb2 b\n~SEQ(i,1,2) s_${i} $IF\n";
        let p = parse_str_with(text, &MemLoader::new(), &opts);
        assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
        assert_eq!(texts(&p.stmts), ["a eth0", "s_1 eth0", "s_2 eth0"]);
    }
}

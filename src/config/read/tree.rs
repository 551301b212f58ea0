//! Builds the statement tree from the stream of statements and braces
//! (docs/keepalived-compat.md#blocks-and-braces).
//!
//! The stream is global, not per file: an included file's lines continue the block that was
//! open at the `include`, exactly as keepalived reads one consolidated stream. A `{` opens
//! a block for the statement just before it, whether on the same line
//! (`vrrp_instance V {`) or the next (`vrrp_instance V` / `{`).

use super::syntax::{Args, Block, Stmt, Word};
use crate::config::diag::Diagnostic;
use crate::config::span::Span;

/// An open block. Its owner (the statement before the `{`) stays the last statement of the
/// enclosing body, so opening and closing a block moves no statement.
struct Frame {
    open: Span,
    body: Vec<Stmt>,
}

/// Most statement lists kept for reuse, and the largest capacity kept (a huge block's list is
/// freed rather than held until the end of the parse).
const POOL_LISTS: usize = 64;
const POOL_CAPACITY: usize = 256;

/// Incremental tree builder.
pub struct TreeBuilder {
    top: Vec<Stmt>,
    stack: Vec<Frame>,
    /// Emptied statement lists of blocks already handed over by [`TreeBuilder::take_finished`],
    /// reused for the next blocks: a large file has one block per few lines, and allocating
    /// and growing a list for each was a tenth of reading it.
    pool: Vec<Vec<Stmt>>,
    /// `{` seen beyond the depth limit and not yet closed.
    overflow: usize,
    max_depth: usize,
}

impl TreeBuilder {
    pub fn new(max_depth: usize) -> TreeBuilder {
        TreeBuilder {
            top: Vec::new(),
            stack: Vec::new(),
            pool: Vec::new(),
            overflow: 0,
            max_depth,
        }
    }

    fn body(&mut self) -> &mut Vec<Stmt> {
        match self.stack.last_mut() {
            Some(f) => &mut f.body,
            None => &mut self.top,
        }
    }

    /// Number of open blocks.
    pub fn depth(&self) -> usize {
        self.stack.len() + self.overflow
    }

    /// Keyword of the innermost open block (`global_defs`, `vrrp_instance`, ...).
    pub fn innermost(&self) -> Option<&str> {
        let n = self.stack.len().checked_sub(1)?;
        self.enclosing(n)
            .last()
            .map(|owner| owner.keyword.text.as_str())
    }

    /// The body that holds the owner of open block `n` (0 = outermost).
    fn enclosing(&self, n: usize) -> &Vec<Stmt> {
        match n.checked_sub(1).and_then(|i| self.stack.get(i)) {
            Some(f) => &f.body,
            None => &self.top,
        }
    }

    /// One statement line: its first word is the keyword (nothing happens without words).
    pub fn stmt(&mut self, words: impl IntoIterator<Item = Word>) {
        let mut words = words.into_iter();
        let Some(keyword) = words.next() else {
            return;
        };
        // One push at a time: most statements fit the inline room, where `collect` spent more
        // on its size bookkeeping than on the words.
        let mut args = Args::new();
        for w in words {
            args.push(w);
        }
        self.body().push(Stmt {
            keyword,
            args,
            block: None,
        });
    }

    /// One statement line, already split into its keyword and arguments.
    pub fn stmt_parts(&mut self, keyword: Word, args: Args) {
        self.body().push(Stmt {
            keyword,
            args,
            block: None,
        });
    }

    pub fn open(&mut self, span: Span, diags: &mut Vec<Diagnostic>) {
        if self.overflow > 0 || self.stack.len() >= self.max_depth {
            if self.overflow == 0 {
                diags.push(
                    Diagnostic::error(
                        span,
                        format!(
                            "Blocks are nested more than {} levels deep; the contents of this block are read at the level above",
                            self.max_depth
                        ),
                    )
                    .with_label("too deep"),
                );
            }
            self.overflow += 1;
            return;
        }
        match self.body().last() {
            Some(owner) if owner.block.is_none() => {
                let body = self.pool.pop().unwrap_or_default();
                self.stack.push(Frame { open: span, body });
            }
            _ => {
                diags.push(
                    Diagnostic::error(span, "Unexpected '{' - ignoring")
                        .with_label("no keyword before this '{'")
                        .with_help(
                            "a '{' must follow the keyword it opens, on the same or the next line",
                        ),
                );
            }
        }
    }

    pub fn close(&mut self, span: Span, diags: &mut Vec<Diagnostic>) {
        if self.overflow > 0 {
            self.overflow -= 1;
            return;
        }
        match self.stack.pop() {
            Some(Frame { open, body }) => {
                if let Some(owner) = self.body().last_mut() {
                    owner.block = Some(Block {
                        open,
                        close: Some(span),
                        stmts: body,
                    });
                }
            }
            None => diags.push(
                Diagnostic::error(span, "Extra '}' found")
                    .with_label("this '}' has no matching '{'"),
            ),
        }
    }

    /// Hands over the top-level statements that can no longer change: all but the last one,
    /// and only while no block is open (a `{` on the next line may still attach a block to
    /// the last statement). Lets a caller lower statements while the file is being read, so
    /// a huge configuration never exists as a whole tree in memory.
    pub fn take_finished(&mut self, sink: &mut dyn FnMut(&Stmt)) {
        if !self.stack.is_empty() || self.overflow > 0 || self.top.len() < 2 {
            return;
        }
        let keep = self.top.len() - 1;
        let mut done = std::mem::take(&mut self.top);
        for st in done.drain(..keep) {
            sink(&st);
            self.recycle(st);
        }
        self.top = done;
    }

    /// Keeps the (emptied) statement lists of a handed-over statement for later blocks.
    fn recycle(&mut self, st: Stmt) {
        if let Some(b) = st.block {
            self.recycle_list(b.stmts);
        }
    }

    fn recycle_list(&mut self, mut stmts: Vec<Stmt>) {
        for inner in &mut stmts {
            if let Some(b) = inner.block.take() {
                self.recycle_list(b.stmts);
            }
        }
        stmts.clear();
        if self.pool.len() < POOL_LISTS && stmts.capacity() <= POOL_CAPACITY {
            self.pool.push(stmts);
        }
    }

    /// Closes what is still open (one error per unclosed block, at its `{`) and returns
    /// the top-level statements.
    pub fn finish(mut self, diags: &mut Vec<Diagnostic>) -> Vec<Stmt> {
        let missing = self.stack.len() + self.overflow;
        let mut unclosed = Vec::new();
        while let Some(Frame { open, body }) = self.stack.pop() {
            let Some(owner) = self.body().last_mut() else {
                continue;
            };
            unclosed.push(
                Diagnostic::error(
                    open,
                    format!("The block of '{}' is never closed", owner.keyword.text),
                )
                .with_label("this '{' is never closed")
                .with_help(format!(
                    "There are {missing} missing '}}'s or extra '{{'s; add a '}}' where this block ends"
                )),
            );
            owner.block = Some(Block {
                open,
                close: None,
                stmts: body,
            });
        }
        // Report outermost first, in file order.
        diags.extend(unclosed.into_iter().rev());
        self.top
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::span::FileId;

    fn w(t: &str, at: usize) -> Word {
        Word {
            text: t.into(),
            span: Span::new(FileId(0), at, at + t.len()),
            quoted: false,
        }
    }

    fn s(at: usize) -> Span {
        Span::new(FileId(0), at, at + 1)
    }

    #[test]
    fn nested_blocks() {
        let mut d = Vec::new();
        let mut t = TreeBuilder::new(8);
        t.stmt(vec![w("a", 0)]);
        t.open(s(2), &mut d);
        t.stmt(vec![w("b", 4), w("1", 6)]);
        assert_eq!(t.innermost(), Some("a"));
        t.close(s(8), &mut d);
        let top = t.finish(&mut d);
        assert!(d.is_empty());
        assert_eq!(top.len(), 1);
        let blk = top[0].block.as_ref().unwrap();
        assert_eq!(blk.stmts[0].args[0].text, "1");
        assert_eq!(blk.close, Some(s(8)));
    }

    #[test]
    fn stray_and_extra_braces() {
        let mut d = Vec::new();
        let mut t = TreeBuilder::new(8);
        t.open(s(0), &mut d);
        t.close(s(1), &mut d);
        let msgs: Vec<_> = d.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(msgs, ["Unexpected '{' - ignoring", "Extra '}' found"]);
    }

    #[test]
    fn unclosed_points_at_opener() {
        let mut d = Vec::new();
        let mut t = TreeBuilder::new(8);
        t.stmt(vec![w("a", 0)]);
        t.open(s(2), &mut d);
        t.stmt(vec![w("b", 4)]);
        t.open(s(6), &mut d);
        let top = t.finish(&mut d);
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].span, Some(s(2)));
        assert_eq!(d[1].span, Some(s(6)));
        assert_eq!(d[0].message, "The block of 'a' is never closed");
        assert!(d[0]
            .help
            .as_deref()
            .unwrap()
            .starts_with("There are 2 missing '}'s"));
        assert!(top[0].block.as_ref().unwrap().close.is_none());
    }

    #[test]
    fn depth_limit() {
        let mut d = Vec::new();
        let mut t = TreeBuilder::new(2);
        for i in 0..5 {
            t.stmt(vec![w("k", i * 4)]);
            t.open(s(i * 4 + 2), &mut d);
        }
        for i in 0..5 {
            t.close(s(100 + i), &mut d);
        }
        let _ = t.finish(&mut d);
        assert_eq!(d.len(), 1);
        assert!(d[0]
            .message
            .starts_with("Blocks are nested more than 2 levels deep"));
    }
}

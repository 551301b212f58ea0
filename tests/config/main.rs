//! Configuration tests (`src/config`): the keepalived.conf front end, lowering into the model,
//! derived settings and checks, the corpus, streaming, and the differential tests against
//! `keepalived -t`. One module per subject; `cargo test --test config syntax::` runs one.

#[path = "../common/mod.rs"]
mod common;

mod check;
mod corpus;
mod fuzz_property;
mod lower;
mod scripts;
mod streaming;
mod syntax;
mod syntax_keepalived;

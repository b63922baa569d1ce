//! Procedural macros of [evm-pool](https://docs.rs/evm-pool). Use them through the
//! `evm-pool` facade, which documents them with examples.

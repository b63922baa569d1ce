//! Enums are laid out by rustc per variant; the macro only reorders struct fields.
use evm_pool::optimize_layout;

#[optimize_layout]
enum Opcode {
    Stop,
    Push(u8, [u8; 32]),
}

fn main() {}

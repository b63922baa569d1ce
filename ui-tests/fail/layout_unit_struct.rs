//! A unit struct has no fields.
use evm_pool::optimize_layout;

#[optimize_layout]
struct Marker;

fn main() {}

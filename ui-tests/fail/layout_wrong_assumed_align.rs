//! A type the macro does not know is assumed pointer-aligned; when it is not, the
//! build fails and says which hint to add.
use evm_pool::optimize_layout;

#[repr(align(32))]
struct CacheAligned([u8; 32]);

#[optimize_layout]
struct Slot {
    used: bool,
    word: CacheAligned,
}

fn main() {}

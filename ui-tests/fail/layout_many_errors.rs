//! All mistakes show in one build.
use evm_pool::optimize_layout;

#[optimize_layout(report, colour = "red")]
#[repr(packed)]
struct Header {
    #[layout(align = 0)]
    flag: bool,
    gas: u64,
}

fn main() {}

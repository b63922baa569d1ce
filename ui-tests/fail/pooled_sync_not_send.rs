//! A `SyncPool` shares objects across threads: `#[pool(sync)]` on a struct that is not
//! `Send` is an error at `sync`.
use std::rc::Rc;

use evm_pool::Pooled;

#[derive(Pooled, Default)]
#[pool(sync)]
struct Frame {
    memory: Vec<u8>,
    #[pool(skip)]
    shared: Rc<u8>,
}

fn main() {}

// The allocator adapter and the small-object churn shared by `benches/alloc.rs` (timed
// by criterion) and `examples/alloc_overhead.rs` (counted by callgrind through
// `scripts/callgrind-alloc-overhead.sh`), so both measure the same code.

use allocator_api2::alloc::{AllocError, Allocator};
use allocator_api2::boxed::Box;
use allocator_api2::vec::Vec;
use std::alloc::{GlobalAlloc, Layout};
use std::ptr::NonNull;

/// Calls a `GlobalAlloc` through the `Allocator` trait. A `dyn` reference, so the
/// workload's code is one and the same for every contender (generic code would be
/// optimized differently per allocator) and only the allocator's own code differs.
pub struct ViaGlobal(pub &'static dyn GlobalAlloc);

// SAFETY: forwards to a `GlobalAlloc`, which upholds the contract for non-zero sizes;
// zero sizes are refused (the workload never asks for them) and growing keeps the
// alignment in this workload.
unsafe impl Allocator for ViaGlobal {
    #[inline]
    fn allocate(&self, layout: Layout) -> Result<NonNull<[u8]>, AllocError> {
        if layout.size() == 0 {
            return Err(AllocError); // the workload never asks for zero bytes
        }
        // SAFETY: non-zero size.
        let p = unsafe { self.0.alloc(layout) };
        NonNull::new(p)
            .map(|p| NonNull::slice_from_raw_parts(p, layout.size()))
            .ok_or(AllocError)
    }

    #[inline]
    unsafe fn deallocate(&self, ptr: NonNull<u8>, layout: Layout) {
        // SAFETY: caller contract.
        unsafe { self.0.dealloc(ptr.as_ptr(), layout) }
    }

    #[inline]
    unsafe fn grow(
        &self,
        ptr: NonNull<u8>,
        old: Layout,
        new: Layout,
    ) -> Result<NonNull<[u8]>, AllocError> {
        debug_assert_eq!(old.align(), new.align());
        // SAFETY: caller contract; alignment unchanged in this workload.
        let p = unsafe { self.0.realloc(ptr.as_ptr(), old, new.size()) };
        NonNull::new(p)
            .map(|p| NonNull::slice_from_raw_parts(p, new.size()))
            .ok_or(AllocError)
    }
}

/// One "transaction": objects of EVM sizes (20, 32, 64, 256 bytes) with a sliding live
/// set of 16, and memory buffers growing to 1-4 KiB by 32-byte pushes.
#[inline(never)]
pub fn churn(alloc: &ViaGlobal, tx: usize) -> usize {
    let mut live_addresses: std::vec::Vec<Box<[u8; 20], &ViaGlobal>> =
        std::vec::Vec::with_capacity(16);
    let mut live_words: std::vec::Vec<Box<[u8; 32], &ViaGlobal>> = std::vec::Vec::with_capacity(16);
    let mut checksum = 0usize;
    for i in 0..256usize {
        let address = Box::new_in([i as u8; 20], alloc);
        let word = Box::new_in([i as u8; 32], alloc);
        let small = Box::new_in([i as u8; 64], alloc);
        checksum += address[0] as usize + word[31] as usize + small[63] as usize;
        if live_addresses.len() == 16 {
            live_addresses.swap_remove(i % 16);
            live_words.swap_remove((i * 7) % 16);
        }
        live_addresses.push(address);
        live_words.push(word);
        if i % 8 == 0 {
            let log = Box::new_in([i as u8; 256], alloc);
            checksum += log[255] as usize;
        }
    }
    for frame in 0..4usize {
        let target = 1024 << ((tx + frame) % 3); // 1, 2 or 4 KiB
        let mut memory: Vec<u8, &ViaGlobal> = Vec::new_in(alloc);
        while memory.len() < target {
            memory.extend_from_slice(&[frame as u8; 32]);
        }
        checksum += memory.len();
    }
    checksum
}

//! The size classes of the pooling tier: which class serves a request, and how blocks of
//! a class are placed in a chunk. Pure functions over a constant table.

use std::alloc::Layout;

/// Byte sizes of the pooled classes, ascending. They cover what an EVM allocates most:
/// 20 (an address), 32 (a 256-bit word), 64 and 256 (small buffers), 1024 and 4096
/// (memory pages, call inputs). Vec-style doubling from 32 bytes stays on classes
/// (32, 64, 128, ... 4096) and never rounds up past the next power of two.
pub const SIZE_CLASSES: [usize; NUM_CLASSES] = [
    8, 16, 20, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096,
];

/// Number of pooled classes. Statistics keep one more bucket, [`LARGE_CLASS`], for
/// requests that no class serves.
pub const NUM_CLASSES: usize = 18;

/// Index of the statistics bucket for requests larger than the largest class (or more
/// aligned than any class).
pub const LARGE_CLASS: usize = NUM_CLASSES;

/// The largest size the pooling tier serves.
pub const MAX_POOLED_SIZE: usize = SIZE_CLASSES[NUM_CLASSES - 1];

/// The cache line size blocks are placed against.
pub const CACHE_LINE: usize = 64;

/// Alignment every block of a class has: the largest power of two dividing the class
/// size, capped at a cache line.
pub const CLASS_ALIGN: [usize; NUM_CLASSES] = {
    let mut out = [0; NUM_CLASSES];
    let mut i = 0;
    while i < NUM_CLASSES {
        let pow2 = 1usize << SIZE_CLASSES[i].trailing_zeros();
        out[i] = if pow2 < CACHE_LINE { pow2 } else { CACHE_LINE };
        i += 1;
    }
    out
};

/// `CLASS_OF_SIZE[size]` is the first class with room for `size` bytes (0..=4096),
/// alignment not considered: the allocator's fast path is one load from here.
///
/// The tables are references to constants: indexing them copies nothing (indexing a
/// `const` array copies the array in unoptimized builds), and each crate that
/// instantiates the allocator gets them as local data, without the GOT load an external
/// `static` costs in position-independent code.
pub(crate) const CLASS_OF_SIZE: &[u8; MAX_POOLED_SIZE + 1] = &{
    let mut out = [0u8; MAX_POOLED_SIZE + 1];
    let mut size = 0;
    while size <= MAX_POOLED_SIZE {
        out[size] = first_class_fitting(size) as u8;
        size += 1;
    }
    out
};

// The allocator indexes its per-class arrays with `CLASS_OF_SIZE` values unchecked.
const _: () = {
    let mut size = 0;
    while size <= MAX_POOLED_SIZE {
        assert!((CLASS_OF_SIZE[size] as usize) < NUM_CLASSES);
        size += 1;
    }
};

/// `CLASS_ALIGN` indexed by a `u8` class (entries past the classes are 0), so the fast
/// path's alignment check needs no bounds check.
#[cfg_attr(loom, allow(dead_code))]
pub(crate) const CLASS_ALIGN_U8: &[usize; 256] = &{
    let mut out = [0; 256];
    let mut i = 0;
    while i < NUM_CLASSES {
        out[i] = CLASS_ALIGN[i];
        i += 1;
    }
    out
};

pub(crate) const fn first_class_fitting(size: usize) -> usize {
    let mut i = 0;
    while i < NUM_CLASSES && SIZE_CLASSES[i] < size {
        i += 1;
    }
    i
}

/// The class that serves `layout`, or `None` when the request is larger than
/// [`MAX_POOLED_SIZE`] or more aligned than any class that fits it.
///
/// ```
/// # use evm_pool_runtime::alloc::size_class::{class_for, SIZE_CLASSES};
/// use std::alloc::Layout;
///
/// let address = class_for(Layout::new::<[u8; 20]>()).unwrap();
/// assert_eq!(SIZE_CLASSES[address], 20);
/// // A 20-byte request that needs 8-byte alignment moves up to the 32-byte class.
/// let aligned = class_for(Layout::from_size_align(20, 8).unwrap()).unwrap();
/// assert_eq!(SIZE_CLASSES[aligned], 32);
/// assert_eq!(class_for(Layout::from_size_align(4097, 8).unwrap()), None);
/// ```
#[inline(always)]
pub fn class_for(layout: Layout) -> Option<usize> {
    let size = layout.size();
    if size > MAX_POOLED_SIZE {
        return None;
    }
    let mut class = CLASS_OF_SIZE[size] as usize;
    while CLASS_ALIGN[class] < layout.align() {
        class += 1;
        if class == NUM_CLASSES {
            return None;
        }
    }
    Some(class)
}

/// The statistics bucket of `layout`: its class, or [`LARGE_CLASS`].
///
/// ```
/// use evm_pool_runtime::alloc::size_class::{LARGE_CLASS, SIZE_CLASSES, stats_class};
/// use std::alloc::Layout;
///
/// assert_eq!(SIZE_CLASSES[stats_class(Layout::new::<[u8; 20]>())], 20);
/// assert_eq!(stats_class(Layout::new::<[u8; 8192]>()), LARGE_CLASS);
/// ```
#[inline(always)]
pub fn stats_class(layout: Layout) -> usize {
    match class_for(layout) {
        Some(class) => class,
        None => LARGE_CLASS,
    }
}

/// Where the next block of `class` goes in a chunk, given the current bump offset
/// `offset` (relative to a cache-line-aligned base). Blocks are aligned to
/// [`CLASS_ALIGN`]; with `line_aware` a block never touches more cache lines than its
/// size requires (class 20 packs three to a line instead of straddling one).
///
/// ```
/// use evm_pool_runtime::alloc::size_class::{SIZE_CLASSES, place_block};
///
/// let class20 = SIZE_CLASSES.iter().position(|&s| s == 20).unwrap();
/// // Three 20-byte blocks fit in the first 64-byte line; the fourth starts the next line
/// // instead of straddling two.
/// assert_eq!(place_block(60, class20, true), 64);
/// assert!(place_block(60, class20, false) < 64);
/// ```
#[inline]
pub const fn place_block(offset: usize, class: usize, line_aware: bool) -> usize {
    let size = SIZE_CLASSES[class];
    let align = CLASS_ALIGN[class];
    let start = (offset + align - 1) & !(align - 1);
    if !line_aware {
        return start;
    }
    let lines_needed = size.div_ceil(CACHE_LINE);
    let first_line = start / CACHE_LINE;
    let last_line = (start + size - 1) / CACHE_LINE;
    if last_line - first_line + 1 > lines_needed {
        // Starting on the next line boundary is aligned for every class.
        (start + CACHE_LINE - 1) & !(CACHE_LINE - 1)
    } else {
        start
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_size_and_alignment_gets_the_smallest_fitting_class() {
        // Miri interprets every instruction: check a sample of sizes there.
        let step = if cfg!(miri) { 61 } else { 1 };
        for size in (1..=MAX_POOLED_SIZE + 1)
            .step_by(step)
            .chain([20, 32, 64, 65, 4096])
        {
            for align in [1, 2, 4, 8, 16, 32, 64, 128] {
                let layout = Layout::from_size_align(size, align).unwrap();
                let expected =
                    (0..NUM_CLASSES).find(|&c| SIZE_CLASSES[c] >= size && CLASS_ALIGN[c] >= align);
                assert_eq!(class_for(layout), expected, "size {size} align {align}");
            }
        }
    }

    #[test]
    fn required_classes_exist() {
        for size in [20, 32, 256, 1024, 4096] {
            let class = class_for(Layout::from_size_align(size, 1).unwrap()).unwrap();
            assert_eq!(SIZE_CLASSES[class], size);
        }
        assert!(SIZE_CLASSES.windows(2).all(|w| w[0] < w[1]));
        assert!(
            SIZE_CLASSES
                .iter()
                .filter(|&&s| s > 64)
                .all(|s| s % 32 == 0)
        );
    }

    #[test]
    fn placement_is_aligned_and_line_aware() {
        for class in 0..NUM_CLASSES {
            for offset in (0..300).step_by(if cfg!(miri) { 7 } else { 1 }) {
                for line_aware in [false, true] {
                    let at = place_block(offset, class, line_aware);
                    assert!(at >= offset);
                    assert_eq!(at % CLASS_ALIGN[class], 0);
                    if line_aware {
                        let size = SIZE_CLASSES[class];
                        let lines = (at + size - 1) / CACHE_LINE - at / CACHE_LINE + 1;
                        assert!(lines <= size.div_ceil(CACHE_LINE));
                    }
                }
            }
        }
        // Class 20 packs three to a line when line-aware, and straddles otherwise.
        let c20 = 2;
        assert_eq!(SIZE_CLASSES[c20], 20);
        assert_eq!(place_block(60, c20, true), 64);
        assert_eq!(place_block(60, c20, false), 60);
    }
}

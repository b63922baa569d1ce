//! What a pool needs of a type: [`Reset`] puts a value back into its fresh state while
//! keeping its allocations, and [`EvmPooled`] says how a pool creates and recycles it.

use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap, HashSet, VecDeque};
use std::hash::BuildHasher;

use crate::pool::PoolConfig;

/// Puts a value back into its fresh state **keeping its heap allocations**.
///
/// This is the heart of pooling: a recycled `Vec<u8>` is cleared, not freed, so the next
/// user gets its capacity for free. Implementations must cost O(what was used), never
/// O(capacity): `Vec::clear` drops the live elements and leaves the buffer alone.
///
/// | type | reset to |
/// |---|---|
/// | integers, floats | `0` |
/// | `bool` / `char` | `false` / `'\0'` |
/// | `Option<T>` | `None` |
/// | `Vec`, `String`, `VecDeque`, `HashMap`, `HashSet`, `BinaryHeap` | cleared, capacity kept |
/// | `BTreeMap`, `BTreeSet` | cleared (a B-tree keeps no spare capacity: its nodes are freed) |
/// | arrays, tuples | element by element |
/// | `Box<T: Reset>` | through the box (the box itself is kept) |
///
/// Every `T: Default + Reset` is also [`EvmPooled`], whose method is named `reset` too:
/// with both traits in scope, call `Reset::reset(&mut value)`.
///
/// # Example
///
/// ```
/// use evm_pool_runtime::Reset;
///
/// let mut memory: Vec<u8> = Vec::with_capacity(4096);
/// memory.extend_from_slice(&[1, 2, 3]);
/// memory.reset();
/// assert!(memory.is_empty());
/// assert_eq!(memory.capacity(), 4096);
///
/// let mut word = [7u64; 4];
/// word.reset();
/// assert_eq!(word, [0; 4]);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not implement `Reset`, so a pool cannot make it fresh for reuse",
    label = "`{Self}` is not `Reset`",
    note = "in a `#[derive(Pooled)]` struct, mark this field `#[pool(skip)]` to keep its value across uses, or `#[pool(reset = \"path::to::fn\")]` to reset it with your own `fn(&mut {Self})`",
    note = "or implement `Reset` for `{Self}`"
)]
pub trait Reset {
    /// Returns `self` to its fresh state, keeping any heap allocation it owns.
    fn reset(&mut self);

    /// Heap bytes this value keeps alive (its retained capacity), for "bytes held"
    /// statistics. The default, `0`, is right for values that own no heap memory.
    ///
    /// ```
    /// use evm_pool_runtime::Reset;
    ///
    /// let stack: Vec<u64> = Vec::with_capacity(16);
    /// assert_eq!(stack.retained_heap_bytes(), 16 * 8);
    /// ```
    fn retained_heap_bytes(&self) -> usize {
        0
    }
}

macro_rules! reset_to_default {
    ($($ty:ty),* $(,)?) => {$(
        impl Reset for $ty {
            #[inline]
            fn reset(&mut self) {
                *self = <$ty>::default();
            }
        }
    )*};
}

reset_to_default!(
    u8,
    u16,
    u32,
    u64,
    u128,
    usize,
    i8,
    i16,
    i32,
    i64,
    i128,
    isize,
    f32,
    f64,
    bool,
    char,
    (),
);

impl<T> Reset for Option<T> {
    #[inline]
    fn reset(&mut self) {
        *self = None;
    }
}

impl<T> Reset for Vec<T> {
    #[inline]
    fn reset(&mut self) {
        self.clear();
    }

    fn retained_heap_bytes(&self) -> usize {
        self.capacity() * size_of::<T>()
    }
}

impl Reset for String {
    #[inline]
    fn reset(&mut self) {
        self.clear();
    }

    fn retained_heap_bytes(&self) -> usize {
        self.capacity()
    }
}

impl<T> Reset for VecDeque<T> {
    #[inline]
    fn reset(&mut self) {
        self.clear();
    }

    fn retained_heap_bytes(&self) -> usize {
        self.capacity() * size_of::<T>()
    }
}

impl<T: Ord> Reset for BinaryHeap<T> {
    #[inline]
    fn reset(&mut self) {
        self.clear();
    }

    fn retained_heap_bytes(&self) -> usize {
        self.capacity() * size_of::<T>()
    }
}

impl<K, V, S: BuildHasher> Reset for HashMap<K, V, S> {
    /// Clears the map; its table keeps its capacity. Note that `HashMap::clear` visits
    /// every bucket, so it is O(capacity) in the table's control bytes (a `memset`), and
    /// O(len) in element drops.
    #[inline]
    fn reset(&mut self) {
        self.clear();
    }

    fn retained_heap_bytes(&self) -> usize {
        self.capacity() * size_of::<(K, V)>()
    }
}

impl<T, S: BuildHasher> Reset for HashSet<T, S> {
    /// Clears the set; like [`HashMap`]'s, its table keeps its capacity.
    #[inline]
    fn reset(&mut self) {
        self.clear();
    }

    fn retained_heap_bytes(&self) -> usize {
        self.capacity() * size_of::<T>()
    }
}

impl<K, V> Reset for BTreeMap<K, V> {
    /// Clears the map. A B-tree has no spare capacity to keep: its nodes are freed, so a
    /// pooled `BTreeMap` saves nothing over a fresh one. Prefer a `Vec` or `HashMap`.
    #[inline]
    fn reset(&mut self) {
        self.clear();
    }
}

impl<T> Reset for BTreeSet<T> {
    /// Clears the set; as with [`BTreeMap`], nothing is retained.
    #[inline]
    fn reset(&mut self) {
        self.clear();
    }
}

impl<T: Reset + ?Sized> Reset for Box<T> {
    #[inline]
    fn reset(&mut self) {
        (**self).reset();
    }

    fn retained_heap_bytes(&self) -> usize {
        size_of_val::<T>(self) + (**self).retained_heap_bytes()
    }
}

impl<T: Reset, const N: usize> Reset for [T; N] {
    #[inline]
    fn reset(&mut self) {
        for item in self.iter_mut() {
            item.reset();
        }
    }

    fn retained_heap_bytes(&self) -> usize {
        self.iter().map(Reset::retained_heap_bytes).sum()
    }
}

macro_rules! reset_tuple {
    ($($name:ident . $idx:tt),+) => {
        impl<$($name: Reset),+> Reset for ($($name,)+) {
            #[inline]
            fn reset(&mut self) {
                $(self.$idx.reset();)+
            }

            fn retained_heap_bytes(&self) -> usize {
                0 $(+ self.$idx.retained_heap_bytes())+
            }
        }
    };
}

reset_tuple!(A.0);
reset_tuple!(A.0, B.1);
reset_tuple!(A.0, B.1, C.2);
reset_tuple!(A.0, B.1, C.2, D.3);
reset_tuple!(A.0, B.1, C.2, D.3, E.4);
reset_tuple!(A.0, B.1, C.2, D.3, E.4, F.5);
reset_tuple!(A.0, B.1, C.2, D.3, E.4, F.5, G.6);
reset_tuple!(A.0, B.1, C.2, D.3, E.4, F.5, G.6, H.7);

/// A type that a [`Pool`](crate::Pool) can hold: how to create one fresh, and how to make
/// a used one fresh again.
///
/// Every `T: Default + Reset` is `EvmPooled` through a blanket impl, so `Vec<u8>`,
/// `String` or `(Vec<u8>, u64)` can be pooled as they are. For your own structs,
/// `#[derive(Pooled)]` writes this impl (resetting field by field) and a typed pool.
///
/// # Example
///
/// ```
/// use evm_pool_runtime::{EvmPooled, Pool, PoolConfig};
///
/// struct Scratch {
///     words: Vec<[u64; 4]>,
///     gas: u64,
/// }
///
/// impl EvmPooled for Scratch {
///     fn new_pooled() -> Self {
///         Scratch { words: Vec::with_capacity(1024), gas: 0 }
///     }
///     fn reset(&mut self) {
///         self.words.clear();
///         self.gas = 0;
///     }
///     fn pool_config() -> PoolConfig {
///         PoolConfig::minimal()
///     }
/// }
///
/// let pool = Pool::<Scratch>::new();
/// assert_eq!(pool.config(), &PoolConfig::minimal());
/// let mut scratch = pool.acquire();
/// scratch.gas = 21_000;
/// drop(scratch); // reset and returned
/// assert_eq!(pool.acquire().gas, 0);
/// ```
pub trait EvmPooled: Sized {
    /// Creates a fresh value, as a pool does when it has none to hand out.
    fn new_pooled() -> Self;

    /// Makes a used value fresh again, keeping its allocations. Must cost O(what was
    /// used), not O(capacity).
    fn reset(&mut self);

    /// The configuration a pool of this type uses when built with
    /// [`Pool::new`](crate::Pool::new). Defaults to [`PoolConfig::balanced`].
    fn pool_config() -> PoolConfig {
        PoolConfig::balanced()
    }

    /// Heap bytes this value keeps alive while idle in a pool, for the pool's
    /// "bytes held" statistic. Defaults to `0` (unknown).
    fn retained_heap_bytes(&self) -> usize {
        0
    }
}

impl<T: Default + Reset> EvmPooled for T {
    #[inline]
    fn new_pooled() -> Self {
        T::default()
    }

    #[inline]
    fn reset(&mut self) {
        Reset::reset(self);
    }

    fn retained_heap_bytes(&self) -> usize {
        Reset::retained_heap_bytes(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collections_keep_capacity() {
        let mut v: Vec<u32> = Vec::with_capacity(100);
        v.extend(0..50);
        Reset::reset(&mut v);
        assert!(v.is_empty());
        assert_eq!(v.capacity(), 100);

        let mut s = String::with_capacity(64);
        s.push_str("calldata");
        Reset::reset(&mut s);
        assert!(s.is_empty());
        assert_eq!(s.capacity(), 64);

        let mut q: VecDeque<u8> = VecDeque::with_capacity(32);
        q.push_back(1);
        Reset::reset(&mut q);
        assert!(q.is_empty());
        assert!(q.capacity() >= 32);

        let mut m: HashMap<u64, u64> = HashMap::with_capacity(64);
        m.insert(1, 2);
        let cap = m.capacity();
        Reset::reset(&mut m);
        assert!(m.is_empty());
        assert_eq!(m.capacity(), cap);

        let mut b: BTreeMap<u8, u8> = BTreeMap::new();
        b.insert(1, 1);
        Reset::reset(&mut b);
        assert!(b.is_empty());
    }

    #[test]
    fn scalars_arrays_tuples_options_boxes() {
        let mut x = (5u8, true, 'x', [3i64; 3], Some(4u16));
        Reset::reset(&mut x);
        assert_eq!(x, (0, false, '\0', [0; 3], None));

        let mut boxed: Box<Vec<u8>> = Box::new(Vec::with_capacity(8));
        boxed.push(1);
        Reset::reset(&mut boxed);
        assert!(boxed.is_empty());
        assert_eq!(boxed.capacity(), 8);
        assert_eq!(Reset::retained_heap_bytes(&boxed), size_of::<Vec<u8>>() + 8);

        let mut f = 1.5f64;
        Reset::reset(&mut f);
        assert_eq!(f, 0.0);
    }

    #[test]
    fn blanket_evm_pooled() {
        let mut v = <Vec<u8> as EvmPooled>::new_pooled();
        v.push(3);
        EvmPooled::reset(&mut v);
        assert!(v.is_empty());
        assert_eq!(
            <Vec<u8> as EvmPooled>::pool_config(),
            PoolConfig::balanced()
        );
    }
}

//! Zeroed byte buffers in size classes, for EVM memory, calldata and return data.
//!
//! A [`BufferPool`] keeps one [`Pool`] per size class (by default 256, 1024 and 4096
//! bytes). [`BufferPool::acquire(len)`](BufferPool::acquire) rounds `len` up to the
//! smallest class that holds it and hands out a [`PooledBuffer`]: `len` bytes, all zero,
//! dereferencing to `[u8]`. Requests above the largest class are served by plain
//! allocation and counted.
//!
//! # Zeroing only what was handed out
//!
//! EVM memory starts zeroed, so a recycled buffer must read as zeros. Clearing a whole
//! 4 KiB class after a call that touched 64 bytes would cost more than the allocation
//! the pool saves. Instead every idle buffer is kept entirely zero, and a loan tracks
//! its **high-water length**: the largest length it was ever given (by `acquire` or
//! [`PooledBuffer::resize`]). Only bytes below that mark can have been written, so on
//! release only those are zeroed: O(bytes used), never O(class size).
//!
//! The mark counts bytes *exposed*, not bytes actually stored to (writes through
//! `&mut [u8]` cannot be observed): `acquire(4096)` followed by a 64-byte write still
//! zeroes 4096 bytes. Hold EVM memory the way it grows instead:
//! [`BufferPool::acquire_with_capacity`] gives an empty buffer of the class, and
//! `resize` exposes bytes as the code touches them.
//!
//! A buffer's bytes are allocated zeroed (`calloc`-style) the first time it is handed
//! out or by [`BufferPool::prewarm`]; growth of a class on a miss creates cheap empty
//! shells that are filled on first use.
//!
//! `BufferPool` is single-threaded, like [`Pool`]: keep one per thread (EVM execution
//! of one transaction is single-threaded anyway).

use std::fmt;
use std::ops::{Deref, DerefMut};

use crate::pool::{ConfigError, Pool, PoolConfig, PoolError, PoolGuard, PoolStats};
use crate::{EvmPooled, pool::ByteSize};

/// Largest size class accepted (1 GiB): larger buffers are better served by plain
/// allocation, and the bound keeps sizes far from `isize::MAX`.
const MAX_CLASS: usize = 1 << 30;

/// The size classes and per-class pool sizing of a [`BufferPool`].
///
/// ```
/// use evm_pool_runtime::{BufferPoolConfig, ConfigError, PoolConfig};
///
/// let config = BufferPoolConfig::new([64, 512, 32 * 1024], PoolConfig::minimal())?;
/// assert_eq!(config.classes(), [64, 512, 32 * 1024]);
/// assert!(matches!(
///     BufferPoolConfig::new([1024, 256], PoolConfig::minimal()),
///     Err(ConfigError::InvalidSizeClasses { .. })
/// ));
/// # Ok::<(), ConfigError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct BufferPoolConfig {
    classes: Vec<usize>,
    per_class: PoolConfig,
}

impl BufferPoolConfig {
    /// The default size classes: 256 B, 1 KiB and 4 KiB.
    pub const DEFAULT_CLASSES: [usize; 3] = [256, 1024, 4096];

    /// Size classes (strictly ascending, each in `1..=1 GiB`) and the pool configuration
    /// every class uses. Returns [`ConfigError::InvalidSizeClasses`] for a bad list, or
    /// the per-class configuration's own error.
    ///
    /// ```
    /// use evm_pool_runtime::{BufferPoolConfig, ConfigError, PoolConfig};
    ///
    /// let err = BufferPoolConfig::new([0, 256], PoolConfig::minimal()).unwrap_err();
    /// assert_eq!(err, ConfigError::InvalidSizeClasses { reason: "a size class of 0 bytes" });
    /// assert!(BufferPoolConfig::new(Vec::new(), PoolConfig::minimal()).is_err());
    /// ```
    pub fn new(classes: impl Into<Vec<usize>>, per_class: PoolConfig) -> Result<Self, ConfigError> {
        let classes = classes.into();
        let invalid = |reason| Err(ConfigError::InvalidSizeClasses { reason });
        if classes.is_empty() {
            return invalid("no size classes");
        }
        if classes.contains(&0) {
            return invalid("a size class of 0 bytes");
        }
        if classes.iter().any(|&class| class > MAX_CLASS) {
            return invalid("a size class above 1 GiB");
        }
        if classes.windows(2).any(|pair| pair[0] >= pair[1]) {
            return invalid("size classes must be strictly ascending");
        }
        per_class.validate()?;
        Ok(BufferPoolConfig { classes, per_class })
    }

    /// The size classes, ascending.
    ///
    /// ```
    /// let config = evm_pool_runtime::BufferPoolConfig::default();
    /// assert_eq!(config.classes(), [256, 1024, 4096]);
    /// ```
    pub fn classes(&self) -> &[usize] {
        &self.classes
    }

    /// The pool configuration each class uses.
    ///
    /// ```
    /// use evm_pool_runtime::{BufferPoolConfig, PoolConfig};
    ///
    /// assert_eq!(BufferPoolConfig::default().per_class(), &PoolConfig::minimal());
    /// ```
    pub fn per_class(&self) -> &PoolConfig {
        &self.per_class
    }
}

impl Default for BufferPoolConfig {
    /// [`DEFAULT_CLASSES`](Self::DEFAULT_CLASSES), each a [`PoolConfig::minimal`] pool
    /// (32 buffers up front, at most 128): 172 KiB prewarmed in all.
    fn default() -> Self {
        BufferPoolConfig {
            classes: Self::DEFAULT_CLASSES.to_vec(),
            per_class: PoolConfig::minimal(),
        }
    }
}

/// A pooled buffer's storage. Invariant while idle: `bytes` is empty (a shell not yet
/// sized) or exactly the class size, and every byte of it is zero.
#[derive(Default)]
struct ZeroedBuffer {
    bytes: Vec<u8>,
    /// Kept equal to the loan's high-water length: bytes below it may be non-zero.
    dirty: usize,
}

impl EvmPooled for ZeroedBuffer {
    fn new_pooled() -> Self {
        ZeroedBuffer::default()
    }

    fn reset(&mut self) {
        self.bytes[..self.dirty].fill(0);
        self.dirty = 0;
    }

    fn retained_heap_bytes(&self) -> usize {
        self.bytes.capacity()
    }
}

impl ZeroedBuffer {
    /// Gives a shell its zeroed bytes; a no-op for a sized buffer.
    #[inline]
    fn ensure_sized(&mut self, class: usize) {
        if self.bytes.is_empty() {
            self.bytes = vec![0; class];
        }
    }
}

struct Class {
    size: usize,
    pool: Pool<ZeroedBuffer>,
}

/// A single-threaded pool of zeroed byte buffers in size classes. See the
/// [module docs](self) for the zeroing rule.
///
/// ```
/// use evm_pool_runtime::BufferPool;
///
/// let pool = BufferPool::new();
/// {
///     let mut memory = pool.acquire(100); // from the 256-byte class
///     assert_eq!(memory.len(), 100);
///     assert!(memory.iter().all(|&b| b == 0));
///     memory[..4].copy_from_slice(&[0x60, 0x80, 0x60, 0x40]);
/// } // bytes 0..100 zeroed, buffer back in its class
/// let again = pool.acquire(256);
/// assert!(again.iter().all(|&b| b == 0));
/// assert_eq!(pool.stats().class(256).unwrap().hits, 2);
/// ```
pub struct BufferPool {
    classes: Box<[Class]>,
    oversized: OversizedCounters,
    config: BufferPoolConfig,
}

#[derive(Default)]
struct OversizedCounters {
    requests: std::cell::Cell<u64>,
    bytes: std::cell::Cell<u64>,
}

impl BufferPool {
    /// A pool with [`BufferPoolConfig::default`]: classes of 256 B, 1 KiB and 4 KiB.
    ///
    /// ```
    /// let pool = evm_pool_runtime::BufferPool::new();
    /// assert_eq!(pool.config().classes(), [256, 1024, 4096]);
    /// ```
    pub fn new() -> Self {
        Self::build(BufferPoolConfig::default())
    }

    /// A pool with the given classes and per-class sizing. The configuration was
    /// validated when it was made, so this cannot fail.
    ///
    /// ```
    /// use evm_pool_runtime::{BufferPool, BufferPoolConfig, PoolConfig};
    ///
    /// let config = BufferPoolConfig::new([32, 1024], PoolConfig::builder().initial(2).max(8).build()?)?;
    /// let pool = BufferPool::with_config(config);
    /// assert_eq!(pool.stats().class(32).unwrap().available, 2);
    /// # Ok::<(), evm_pool_runtime::ConfigError>(())
    /// ```
    pub fn with_config(config: BufferPoolConfig) -> Self {
        Self::build(config)
    }

    fn build(config: BufferPoolConfig) -> Self {
        let classes = config
            .classes
            .iter()
            .map(|&size| {
                let pool = Pool::with_config(config.per_class.clone())
                    .unwrap_or_else(|_| unreachable!("validated by BufferPoolConfig::new"));
                pool.for_each_idle(|buffer: &mut ZeroedBuffer| buffer.ensure_sized(size));
                Class { size, pool }
            })
            .collect();
        BufferPool {
            classes,
            oversized: OversizedCounters::default(),
            config,
        }
    }

    /// The pool's configuration.
    ///
    /// ```
    /// use evm_pool_runtime::{BufferPool, BufferPoolConfig};
    ///
    /// let pool = BufferPool::new();
    /// assert_eq!(pool.config(), &BufferPoolConfig::default());
    /// ```
    pub fn config(&self) -> &BufferPoolConfig {
        &self.config
    }

    /// The size class a request of `len` bytes is served from, or `None` when `len` is
    /// above the largest class (plain allocation).
    ///
    /// ```
    /// let pool = evm_pool_runtime::BufferPool::new();
    /// assert_eq!(pool.class_for(0), Some(256));
    /// assert_eq!(pool.class_for(257), Some(1024));
    /// assert_eq!(pool.class_for(4096), Some(4096));
    /// assert_eq!(pool.class_for(4097), None);
    /// ```
    pub fn class_for(&self, len: usize) -> Option<usize> {
        self.class_index(len).map(|i| self.classes[i].size)
    }

    #[inline]
    fn class_index(&self, len: usize) -> Option<usize> {
        let i = self.classes.partition_point(|class| class.size < len);
        (i < self.classes.len()).then_some(i)
    }

    /// A zeroed buffer of `len` bytes from the smallest class that holds it, or from
    /// plain allocation when `len` exceeds the largest class (counted in
    /// [`BufferPoolStats::oversized`]). Never fails; see
    /// [`try_acquire`](Self::try_acquire) for classes with [`OverflowPolicy::Fail`](crate::OverflowPolicy::Fail).
    ///
    /// ```
    /// let pool = evm_pool_runtime::BufferPool::new();
    /// let big = pool.acquire(10_000);
    /// assert_eq!(big.len(), 10_000);
    /// assert_eq!(big.class(), None);
    /// assert_eq!(pool.stats().oversized, 1);
    /// ```
    #[inline]
    pub fn acquire(&self, len: usize) -> PooledBuffer<'_> {
        self.acquire_sized(len, len)
    }

    /// An empty buffer (length 0) from the smallest class of at least `capacity` bytes,
    /// to grow with [`PooledBuffer::resize`]. This is the way to hold EVM memory: it
    /// grows as the code touches it, and only what it grew to is zeroed on release.
    /// Above the largest class, a plain allocation of `capacity` zeroed bytes (counted).
    ///
    /// ```
    /// let pool = evm_pool_runtime::BufferPool::new();
    /// let mut memory = pool.acquire_with_capacity(4096);
    /// assert_eq!((memory.len(), memory.capacity()), (0, 4096));
    /// memory.resize(64)?; // MSTORE at 32: two words of memory
    /// memory[32..].fill(0xff);
    /// drop(memory); // zeroes 64 bytes, not 4096
    /// # Ok::<(), evm_pool_runtime::ResizeError>(())
    /// ```
    #[inline]
    pub fn acquire_with_capacity(&self, capacity: usize) -> PooledBuffer<'_> {
        self.acquire_sized(capacity, 0)
    }

    #[inline]
    fn acquire_sized(&self, capacity: usize, len: usize) -> PooledBuffer<'_> {
        match self.class_index(capacity) {
            Some(i) => {
                let class = &self.classes[i];
                Self::lend(class.pool.acquire(), class.size, len)
            }
            None => self.oversized(capacity, len),
        }
    }

    /// Like [`acquire`](Self::acquire), but a class whose policy is
    /// [`OverflowPolicy::Fail`](crate::OverflowPolicy::Fail) and whose `max` buffers are
    /// all in use returns [`PoolError::Exhausted`]. Oversized requests never fail.
    ///
    /// ```
    /// use evm_pool_runtime::{BufferPool, BufferPoolConfig, OverflowPolicy, PoolConfig};
    ///
    /// let one = PoolConfig::builder().initial(1).max(1).overflow(OverflowPolicy::Fail).build()?;
    /// let pool = BufferPool::with_config(BufferPoolConfig::new([256], one)?);
    /// let held = pool.try_acquire(200)?;
    /// assert!(pool.try_acquire(10).is_err());
    /// assert!(pool.try_acquire(1 << 20).is_ok()); // oversized: plain allocation
    /// # drop(held);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_acquire(&self, len: usize) -> Result<PooledBuffer<'_>, PoolError> {
        match self.class_index(len) {
            Some(i) => {
                let class = &self.classes[i];
                Ok(Self::lend(class.pool.try_acquire()?, class.size, len))
            }
            None => Ok(self.oversized(len, len)),
        }
    }

    #[inline]
    fn lend(mut guard: PoolGuard<'_, ZeroedBuffer>, class: usize, len: usize) -> PooledBuffer<'_> {
        guard.ensure_sized(class);
        guard.dirty = len;
        PooledBuffer {
            storage: Storage::Pooled(guard),
            len,
            high_water: len,
        }
    }

    #[cold]
    fn oversized(&self, capacity: usize, len: usize) -> PooledBuffer<'_> {
        let o = &self.oversized;
        o.requests.set(o.requests.get() + 1);
        o.bytes.set(o.bytes.get() + capacity as u64);
        PooledBuffer {
            storage: Storage::Oversized(vec![0; capacity]),
            len,
            high_water: len,
        }
    }

    /// Makes at least `n` buffers of every class idle and zeroed, within each class's
    /// `max`. Returns how many buffers were created.
    ///
    /// ```
    /// use evm_pool_runtime::{BufferPool, BufferPoolConfig, PoolConfig};
    ///
    /// let config = BufferPoolConfig::new([256, 4096], PoolConfig::builder().initial(0).max(16).build()?)?;
    /// let pool = BufferPool::with_config(config);
    /// assert_eq!(pool.prewarm(8), 16);
    /// assert!(pool.stats().bytes_held() >= 8 * (256 + 4096));
    /// # Ok::<(), evm_pool_runtime::ConfigError>(())
    /// ```
    pub fn prewarm(&self, n: usize) -> usize {
        self.classes
            .iter()
            .map(|class| {
                let created = class.pool.prewarm(n);
                class
                    .pool
                    .for_each_idle(|buffer: &mut ZeroedBuffer| buffer.ensure_sized(class.size));
                created
            })
            .sum()
    }

    /// Drops idle buffers until at most `n` of every class remain. Returns how many were
    /// dropped.
    ///
    /// ```
    /// let pool = evm_pool_runtime::BufferPool::new(); // 32 per class
    /// assert_eq!(pool.shrink_to(2), 3 * 30);
    /// ```
    pub fn shrink_to(&self, n: usize) -> usize {
        self.classes
            .iter()
            .map(|class| class.pool.shrink_to(n))
            .sum()
    }

    /// Statistics per class, plus the oversized requests.
    ///
    /// ```
    /// let pool = evm_pool_runtime::BufferPool::new();
    /// drop((pool.acquire(10), pool.acquire(2000), pool.acquire(1 << 16)));
    /// let stats = pool.stats();
    /// assert_eq!(stats.class(256).unwrap().returns, 1);
    /// assert_eq!(stats.class(4096).unwrap().returns, 1);
    /// assert_eq!(stats.total().acquires(), 2);
    /// assert_eq!((stats.oversized, stats.oversized_bytes), (1, 1 << 16));
    /// println!("{stats}");
    /// ```
    pub fn stats(&self) -> BufferPoolStats {
        BufferPoolStats {
            classes: self
                .classes
                .iter()
                .map(|class| SizeClassStats {
                    size: class.size,
                    stats: class.pool.stats(),
                })
                .collect(),
            oversized: self.oversized.requests.get(),
            oversized_bytes: self.oversized.bytes.get(),
        }
    }
}

impl Default for BufferPool {
    /// [`BufferPool::new`].
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for BufferPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BufferPool")
            .field("config", &self.config)
            .field("stats", &self.stats())
            .finish()
    }
}

enum Storage<'a> {
    Pooled(PoolGuard<'a, ZeroedBuffer>),
    Oversized(Vec<u8>),
}

/// A zeroed byte buffer on loan from a [`BufferPool`]. Dereferences to `[u8]` of its
/// current length; dropping it zeroes the bytes below its high-water length and returns
/// it to its class.
///
/// ```
/// let pool = evm_pool_runtime::BufferPool::new();
/// let mut memory = pool.acquire(32);
/// memory[31] = 1;
/// memory.resize(96)?; // EVM memory expansion: new bytes read as zero
/// assert_eq!(memory.len(), 96);
/// assert_eq!(memory[31..33], [1, 0]);
/// assert_eq!(memory.capacity(), 256);
/// # Ok::<(), evm_pool_runtime::ResizeError>(())
/// ```
pub struct PooledBuffer<'a> {
    storage: Storage<'a>,
    len: usize,
    /// Largest `len` of this loan: bytes at or above it are still zero.
    high_water: usize,
}

impl PooledBuffer<'_> {
    /// The buffer's current length.
    ///
    /// ```
    /// let pool = evm_pool_runtime::BufferPool::new();
    /// assert_eq!(pool.acquire(5).len(), 5);
    /// ```
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the length is zero.
    ///
    /// ```
    /// let pool = evm_pool_runtime::BufferPool::new();
    /// assert!(pool.acquire(0).is_empty());
    /// ```
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The most bytes this buffer can hold: its class size, or its length when it is an
    /// oversized plain allocation.
    ///
    /// ```
    /// let pool = evm_pool_runtime::BufferPool::new();
    /// assert_eq!(pool.acquire(300).capacity(), 1024);
    /// ```
    #[inline]
    pub fn capacity(&self) -> usize {
        self.bytes().len()
    }

    /// The size class it came from, `None` for an oversized plain allocation.
    ///
    /// ```
    /// let pool = evm_pool_runtime::BufferPool::new();
    /// assert_eq!(pool.acquire(300).class(), Some(1024));
    /// ```
    pub fn class(&self) -> Option<usize> {
        match &self.storage {
            Storage::Pooled(guard) => Some(guard.bytes.len()),
            Storage::Oversized(_) => None,
        }
    }

    /// Changes the length within the capacity. Bytes that become visible read as zero,
    /// as EVM memory expansion requires (bytes written earlier in this loan and then cut
    /// off by a shrink are zeroed again). Growing past the capacity is a
    /// [`ResizeError`] and leaves the buffer unchanged.
    ///
    /// ```
    /// let pool = evm_pool_runtime::BufferPool::new();
    /// let mut memory = pool.acquire(64);
    /// memory.fill(0xff);
    /// memory.resize(16)?;
    /// memory.resize(64)?;
    /// assert_eq!(memory[16..], [0; 48]);
    /// assert!(memory.resize(257).is_err()); // class 256
    /// # Ok::<(), evm_pool_runtime::ResizeError>(())
    /// ```
    #[inline]
    pub fn resize(&mut self, new_len: usize) -> Result<(), ResizeError> {
        let capacity = self.capacity();
        if new_len > capacity {
            return Err(self.resize_error(new_len));
        }
        if new_len > self.len {
            // Bytes in len..high_water may hold data from before a shrink.
            let dirty_end = new_len.min(self.high_water);
            if dirty_end > self.len {
                let (start, bytes) = (self.len, self.bytes_mut());
                bytes[start..dirty_end].fill(0);
            }
            self.high_water = self.high_water.max(new_len);
            if let Storage::Pooled(guard) = &mut self.storage {
                // What the guard's reset will zero on release.
                guard.dirty = self.high_water;
            }
        }
        self.len = new_len;
        Ok(())
    }

    #[cold]
    fn resize_error(&self, requested: usize) -> ResizeError {
        ResizeError {
            requested,
            capacity: self.capacity(),
        }
    }

    /// Takes the bytes out of the pool for good (the class forgets the buffer), as a
    /// `Vec<u8>` of the current length.
    ///
    /// ```
    /// let pool = evm_pool_runtime::BufferPool::new();
    /// let mut buffer = pool.acquire(3);
    /// buffer.copy_from_slice(b"abc");
    /// assert_eq!(buffer.into_vec(), b"abc");
    /// assert_eq!(pool.stats().class(256).unwrap().detached, 1);
    /// ```
    pub fn into_vec(self) -> Vec<u8> {
        let len = self.len;
        let mut bytes = match self.storage {
            Storage::Pooled(guard) => guard.into_inner().bytes,
            Storage::Oversized(bytes) => bytes,
        };
        bytes.truncate(len);
        bytes
    }

    #[inline]
    fn bytes(&self) -> &[u8] {
        match &self.storage {
            Storage::Pooled(guard) => &guard.bytes,
            Storage::Oversized(bytes) => bytes,
        }
    }

    #[inline]
    fn bytes_mut(&mut self) -> &mut [u8] {
        match &mut self.storage {
            Storage::Pooled(guard) => &mut guard.bytes,
            Storage::Oversized(bytes) => bytes,
        }
    }
}

impl Deref for PooledBuffer<'_> {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        &self.bytes()[..self.len]
    }
}

impl DerefMut for PooledBuffer<'_> {
    #[inline]
    fn deref_mut(&mut self) -> &mut [u8] {
        let len = self.len;
        &mut self.bytes_mut()[..len]
    }
}

impl AsRef<[u8]> for PooledBuffer<'_> {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl AsMut<[u8]> for PooledBuffer<'_> {
    fn as_mut(&mut self) -> &mut [u8] {
        self
    }
}

impl fmt::Debug for PooledBuffer<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PooledBuffer")
            .field("len", &self.len)
            .field("capacity", &self.capacity())
            .field("class", &self.class())
            .finish()
    }
}

/// [`PooledBuffer::resize`] was asked for more than the buffer's capacity.
///
/// ```
/// let pool = evm_pool_runtime::BufferPool::new();
/// let err = pool.acquire(1).resize(5000).unwrap_err();
/// assert_eq!((err.requested, err.capacity), (5000, 256));
/// assert!(err.to_string().contains("5000"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResizeError {
    /// The length asked for.
    pub requested: usize,
    /// The buffer's capacity.
    pub capacity: usize,
}

impl fmt::Display for ResizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot resize a pooled buffer to {} bytes: its capacity is {}; acquire a buffer \
             of the larger size instead",
            self.requested, self.capacity
        )
    }
}

impl std::error::Error for ResizeError {}

/// One size class's statistics.
///
/// ```
/// let pool = evm_pool_runtime::BufferPool::new();
/// let first = &pool.stats().classes[0];
/// assert_eq!((first.size, first.stats.available), (256, 32));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SizeClassStats {
    /// The class's buffer size in bytes.
    pub size: usize,
    /// The class pool's counters.
    pub stats: PoolStats,
}

/// A snapshot of a [`BufferPool`]'s counters: one [`PoolStats`] per class, and the
/// requests too large for any class.
///
/// ```
/// let pool = evm_pool_runtime::BufferPool::new();
/// drop(pool.acquire(1000));
/// let stats = pool.stats();
/// assert_eq!(stats.class(1024).unwrap().hits, 1);
/// assert_eq!(stats.total().returns, 1);
/// assert!(stats.to_string().contains("1.0 KiB"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BufferPoolStats {
    /// Per class, ascending by size.
    pub classes: Vec<SizeClassStats>,
    /// Requests above the largest class, served by plain allocation.
    pub oversized: u64,
    /// Bytes requested by those oversized requests.
    pub oversized_bytes: u64,
}

impl BufferPoolStats {
    /// The statistics of the class of exactly `size` bytes.
    ///
    /// ```
    /// let pool = evm_pool_runtime::BufferPool::new();
    /// drop(pool.acquire(100)); // served by the 256-byte class
    /// let stats = pool.stats();
    /// assert_eq!(stats.class(256).map(|s| s.hits), Some(1));
    /// assert!(stats.class(100).is_none()); // not a class
    /// ```
    pub fn class(&self, size: usize) -> Option<&PoolStats> {
        self.classes
            .iter()
            .find(|class| class.size == size)
            .map(|class| &class.stats)
    }

    /// All classes' counters added up ([`PoolStats::merge`]; oversized requests are not
    /// included).
    ///
    /// ```
    /// let pool = evm_pool_runtime::BufferPool::new();
    /// drop(pool.acquire(100));
    /// drop(pool.acquire(2000));
    /// assert_eq!(pool.stats().total().returns, 2);
    /// ```
    pub fn total(&self) -> PoolStats {
        let mut total = PoolStats::default();
        for class in &self.classes {
            total.merge(&class.stats);
        }
        total
    }

    /// Bytes the idle buffers keep alive, over all classes.
    ///
    /// ```
    /// let pool = evm_pool_runtime::BufferPool::new();
    /// // Each class prewarms 32 zeroed buffers of its size; the 4 KiB one returned is kept too.
    /// drop(pool.acquire(4096));
    /// assert!(pool.stats().bytes_held() >= 4096);
    /// ```
    pub fn bytes_held(&self) -> u64 {
        self.classes
            .iter()
            .map(|class| class.stats.bytes_held)
            .sum()
    }
}

impl fmt::Display for BufferPoolStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for class in &self.classes {
            writeln!(f, "class {}:", ByteSize(class.size as u64))?;
            for line in class.stats.to_string().lines() {
                writeln!(f, "  {line}")?;
            }
        }
        write!(
            f,
            "oversized {} requests, {} by plain allocation",
            self.oversized,
            ByteSize(self.oversized_bytes)
        )
    }
}

#[cfg(test)]
mod tests;

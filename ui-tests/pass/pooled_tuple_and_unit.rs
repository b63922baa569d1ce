//! Tuple structs reset field by field (`self.0`, `self.1`); a unit struct pools trivially.
use evm_pool::Pooled;

#[derive(Pooled, Default)]
struct Words(Vec<[u64; 4]>, #[pool(skip)] u16, u64);

#[derive(Pooled, Default)]
struct Marker;

fn main() {
    let pool = WordsPool::new();
    {
        let mut words = pool.acquire();
        words.0.push([1; 4]);
        words.1 = 7;
        words.2 = 9;
    }
    let words = pool.acquire();
    assert!(words.0.is_empty());
    assert_eq!((words.1, words.2), (7, 0));
    let markers = MarkerPool::new();
    let _marker = markers.acquire();
}

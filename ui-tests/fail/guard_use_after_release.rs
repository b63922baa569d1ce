//! Once a guard is dropped (the object went back to the pool), it cannot be used.
use evm_pool::Pool;

fn main() {
    let pool = Pool::<Vec<u8>>::new();
    let guard = pool.acquire();
    drop(guard);
    println!("{}", guard.len());
}

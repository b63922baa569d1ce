//! A guard borrows its pool: it cannot be used after the pool is gone.
use evm_pool::Pool;

fn main() {
    let guard = {
        let pool = Pool::<Vec<u8>>::new();
        pool.acquire()
    };
    println!("{}", guard.len());
}

//! Where argon2 runs: a fixed set of threads, one per core, each with its own argon2 memory that
//! it keeps and reuses.
//!
//! An argon2id check with OWASP's parameters fills 19 MiB (m=19456 KiB). Run on tokio's blocking
//! pool, every check allocated and freed its own 19 MiB on whichever of up to 512 threads ran it,
//! and the allocator kept much of the freed memory in per-thread arenas: a flood of 400 wrong
//! logins, 16 at a time, left the process at about 2 GB. Here the memory is allocated once per
//! worker and overwritten by every check, so argon2 holds at most `workers × m` however many
//! requests arrive; how many may wait for a worker is the sign-in gate's business
//! (`http::auth::throttle`).

use std::sync::OnceLock;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

use argon2::password_hash::{Output, PasswordHash};
use argon2::{Algorithm, Argon2, Block, Params, Version};

/// The largest argon2 memory a stored hash may ask for, in KiB (four times OWASP's 19 MiB): a
/// hash asking for more is refused rather than allowed to allocate it.
const M_COST_KIB_MAX: u32 = 4 * 19_456;

type Job = Box<dyn FnOnce(&mut Vec<Block>) + Send>;

struct Pool {
    jobs: Mutex<Sender<Job>>,
}

/// How many argon2 workers the process runs: one per core.
pub fn workers() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| {
        let (jobs, queue) = channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for index in 0..workers() {
            let queue = Arc::clone(&queue);
            let spawned = std::thread::Builder::new()
                .name(format!("argon2-{index}"))
                .spawn(move || work(&queue));
            if let Err(error) = spawned {
                tracing::error!(%error, "could not start an argon2 worker");
            }
        }
        Pool {
            jobs: Mutex::new(jobs),
        }
    })
}

fn work(queue: &Mutex<Receiver<Job>>) {
    let mut memory: Vec<Block> = Vec::new();
    loop {
        let job = match queue.lock() {
            Ok(queue) => queue.recv(),
            Err(_) => return,
        };
        match job {
            Ok(job) => job(&mut memory),
            Err(_) => return,
        }
    }
}

/// Runs `work` on an argon2 worker with the worker's memory, or `None` if the workers are gone.
pub(super) async fn run<T: Send + 'static>(
    work: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
) -> Option<T> {
    let (answer, answered) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move |memory| {
        let _ = answer.send(work(memory));
    });
    let sent = pool().jobs.lock().is_ok_and(|jobs| jobs.send(job).is_ok());
    if !sent {
        return None;
    }
    answered.await.ok()
}

/// Whether `password` matches the PHC string `phc`, computed on an argon2 worker. A PHC string
/// that does not parse, or asks for more memory than allowed, matches nothing.
pub(super) async fn verify(phc: String, password: String) -> bool {
    run(move |memory| matches(&phc, password.as_bytes(), memory))
        .await
        .unwrap_or(false)
}

/// What argon2's own `verify_password` does, but in `memory` (grown once, then reused) instead
/// of a fresh allocation per check.
fn matches(phc: &str, password: &[u8], memory: &mut Vec<Block>) -> bool {
    let Ok(hash) = PasswordHash::new(phc) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (hash.salt, hash.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(hash.algorithm) else {
        return false;
    };
    let version = match hash.version.map(Version::try_from).transpose() {
        Ok(version) => version.unwrap_or_default(),
        Err(_) => return false,
    };
    let Ok(params) = Params::try_from(&hash) else {
        return false;
    };
    if params.m_cost() > M_COST_KIB_MAX {
        return false;
    }
    let mut salt_bytes = [0_u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let blocks = params.block_count();
    if memory.len() < blocks {
        memory.resize(blocks, Block::default());
    }
    let mut computed = vec![0_u8; expected.len()];
    let argon2 = Argon2::new(algorithm, version, params);
    let Some(memory) = memory.get_mut(..blocks) else {
        return false;
    };
    if argon2
        .hash_password_into_with_memory(password, salt, &mut computed, memory)
        .is_err()
    {
        return false;
    }
    // `Output`'s equality is constant-time.
    Output::new(&computed).is_ok_and(|computed| computed == expected)
}

#[cfg(test)]
mod tests {
    use argon2::PasswordHasher;
    use argon2::password_hash::SaltString;

    use super::*;

    #[tokio::test]
    async fn a_password_matches_its_own_hash_and_no_other() {
        let salt = SaltString::encode_b64(b"a salt of sixteen").unwrap();
        let phc = Argon2::default()
            .hash_password(b"correct horse", &salt)
            .unwrap()
            .to_string();
        assert!(verify(phc.clone(), "correct horse".to_owned()).await);
        assert!(!verify(phc.clone(), "correct horsf".to_owned()).await);
        assert!(!verify("$argon2id$nonsense".to_owned(), "x".to_owned()).await);
        // The second check reuses the memory of the first and still answers right.
        assert!(verify(phc, "correct horse".to_owned()).await);
    }
}

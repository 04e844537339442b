//! Times aws-lc's first random fill, which a function's first TLS handshake pays (its random
//! generator seeds itself then), and a second one. Prints microseconds: `first second`.

use std::time::Instant;

use aws_lc_rs::rand::{SecureRandom, SystemRandom};

fn main() {
    let random = SystemRandom::new();
    let mut bytes = [0u8; 32];
    let started = Instant::now();
    let first = random.fill(&mut bytes).map(|()| started.elapsed());
    let started = Instant::now();
    let second = random.fill(&mut bytes).map(|()| started.elapsed());
    match (first, second) {
        (Ok(first), Ok(second)) => println!("{} {}", first.as_micros(), second.as_micros()),
        _ => {
            eprintln!("aws-lc could not produce random bytes");
            std::process::exit(1);
        }
    }
}

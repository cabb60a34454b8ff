//! The child the encryption migration test kills: opens the data directory given (which
//! encrypts a plaintext one of an earlier release in place) and exits.

fn main() {
    let dir = std::env::args().nth(1).expect("usage: open_dir <data-dir>");
    let client = gridpatrol_core::Client::open(&dir).expect("open");
    drop(client);
    println!("opened");
}

//! The child the crash test (`tests/tests/crash_kill9.rs`) SIGKILLs: opens a data directory
//! and files reports in a loop until it is killed.
//!
//! Usage: `submit_loop <data-dir> <seed> <photo.jpg>`. On stdout, one line per durable step, each written
//! and flushed only after the call that made it durable returned:
//!
//! - `ready` once the data directory is open;
//! - `draft <id>` after `create_draft` returned;
//! - `photo <id> <sha256>` after `add_photo` returned;
//! - `submitted <id>` after `submit` returned `Submitted`.
//!
//! Each run first lists the drafts a killed predecessor left (they must all load) and, half of
//! the time, finishes and submits the most recent one. One new draft in eight is left half
//! filled on purpose. Each photo is a seeded variant of the given JPEG (other quantisation steps,
//! so other pixels and another SHA-256): every add writes new files, and kills land in the
//! middle of photo writes too.

use std::io::Write;

use gridpatrol_core::Client;
use gridpatrol_core::capture::{Draft, PhotoKind, SubmitOutcome};
use gridpatrol_tests::{PROBLEM, Rng, SUBTYPE, ack_duplicates, gps_fix, inspector, place, vary_jpeg};

fn say(line: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    out.write_fmt(line).expect("write to the parent");
    out.write_all(b"\n").expect("write to the parent");
    out.flush().expect("flush to the parent");
}

struct Child {
    client: Client,
    rng: Rng,
    base_photo: Vec<u8>,
}

impl Child {
    fn add_photo(&mut self, id: &str) {
        let photo = vary_jpeg(&self.base_photo, self.rng.next_u64());
        let added = self
            .client
            .add_photo(id, &photo, PhotoKind::Evidence)
            .expect("add_photo of a good JPEG");
        say(format_args!("photo {id} {}", added.sha256));
    }

    fn set_location(&mut self, id: &str) {
        let (lat, lon) = place(self.rng.below(9000));
        self.client
            .set_location(id, gps_fix(lat, lon))
            .expect("set_location");
    }

    fn submit(&self, id: &str) {
        match self.client.submit(id, ack_duplicates()).expect("submit") {
            SubmitOutcome::Submitted { report_id } => {
                assert_eq!(report_id, id, "the report id is the draft id");
                say(format_args!("submitted {report_id}"));
            }
            SubmitOutcome::Rejected { report } => panic!("a complete draft was rejected: {report:?}"),
        }
    }

    /// Fills in whatever a draft left by a killed run still lacks, as the app would on
    /// reopening it, and submits it.
    fn finish(&mut self, draft: &Draft) {
        let id = draft.id.as_str();
        if draft.subtype.as_deref() != Some(SUBTYPE) || draft.problem.as_deref() != Some(PROBLEM) {
            self.client
                .set_event(id, Some(SUBTYPE.into()), Some(PROBLEM.into()))
                .expect("set_event");
        }
        if draft.content.fix.is_none() {
            self.set_location(id);
        }
        if draft.content.photos.is_empty() {
            self.add_photo(id);
        }
        if !draft.content.attributes.contains_key("hazard_level") {
            self.client
                .set_attribute(id, "hazard_level", "major")
                .expect("set_attribute");
        }
        self.submit(id);
    }

    /// One new report; one in eight is left half filled on purpose.
    fn file_one(&mut self) {
        let draft = self
            .client
            .create_draft(inspector("insp-0042"), None)
            .expect("create_draft");
        let id = draft.id.as_str();
        say(format_args!("draft {id}"));
        let steps = if self.rng.chance(1, 8) {
            self.rng.below(6)
        } else {
            6
        };
        if steps > 0 {
            self.client
                .set_event(id, Some(SUBTYPE.into()), Some(PROBLEM.into()))
                .expect("set_event");
        }
        if steps > 1 {
            self.set_location(id);
        }
        if steps > 2 {
            self.add_photo(id);
            if self.rng.chance(1, 4) {
                self.add_photo(id);
            }
        }
        if steps > 3 {
            self.client
                .set_attribute(id, "hazard_level", "general")
                .expect("set_attribute");
        }
        if steps > 4 {
            self.client
                .set_description(id, "受限空间作业未配备通风和监护人员")
                .expect("set_description");
        }
        if steps > 5 {
            self.submit(id);
        }
    }
}

fn main() {
    const USAGE: &str = "usage: submit_loop <data-dir> <seed> <photo.jpg>";
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, seed, photo] = args.as_slice() else {
        panic!("{USAGE}")
    };
    let seed: u64 = seed.parse().expect(USAGE);
    let base_photo = std::fs::read(photo).expect("read the base photo");

    let client = Client::open(dir).expect("open the data directory after a kill");
    let drafts = client.drafts().expect("every draft a killed run left loads");
    say(format_args!("ready"));
    let mut child = Child {
        client,
        rng: Rng::new(seed),
        base_photo,
    };
    if let Some(latest) = drafts.first()
        && child.rng.chance(1, 2)
    {
        child.finish(latest);
    }
    loop {
        child.file_one();
    }
}

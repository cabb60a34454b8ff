//! Patrols through the client: each method one line into [`crate::track`] (see its module
//! doc), and the flush of waiting fixes when the client closes.

use super::{Client, now_ms};
use crate::Result;
use crate::location::LocationFix;
use crate::track;

/// Patrols: each a one-line call into [`crate::track`] (see its module doc).
impl Client {
    pub fn patrol_start(&self, start: track::PatrolStart) -> Result<track::Patrol> {
        self.tracks.start(&self.store, start, now_ms())
    }

    pub fn patrol_fix(&self, patrol_id: &str, fix: LocationFix) -> Result<track::FixOutcome> {
        self.tracks.ingest(&self.store, patrol_id, &fix, now_ms())
    }

    /// Fixes the OS delivered late, in one durable batch.
    pub fn patrol_fixes(&self, patrol_id: &str, fixes: Vec<LocationFix>) -> Result<track::BatchOutcome> {
        self.tracks.ingest_batch(&self.store, patrol_id, &fixes, now_ms())
    }

    pub fn patrol_pause(&self, patrol_id: &str) -> Result<track::Patrol> {
        self.tracks.pause(&self.store, patrol_id, now_ms())
    }

    pub fn patrol_resume(&self, patrol_id: &str) -> Result<track::Patrol> {
        self.tracks.resume(&self.store, patrol_id, now_ms())
    }

    pub fn patrol_stop(&self, patrol_id: &str) -> Result<track::Patrol> {
        self.tracks.stop(&self.store, patrol_id, now_ms())
    }

    /// Commits waiting fixes; the app calls it when it goes to the background.
    pub fn patrol_flush(&self) -> Result<()> {
        self.tracks.flush(&self.store)
    }

    /// The open patrol (found again after a relaunch), to resume or stop.
    pub fn open_patrol(&self) -> Result<Option<track::Patrol>> {
        self.tracks.open_patrol(&self.store)
    }

    /// The figures of a patrol (`None`: the open one, else the latest).
    pub fn patrol_figures(&self, patrol_id: Option<String>) -> Result<track::PatrolFigures> {
        let now = now_ms();
        let (patrol, points) = self
            .tracks
            .patrol_with_points(&self.store, patrol_id.as_deref())?;
        let grids = self.grids();
        let mut figures =
            track::figures::compute(&patrol, &points, grids.as_deref(), now, &Default::default());
        figures.linked_reports = self.tracks.linked_reports(&self.store, &patrol, now)?;
        Ok(figures)
    }

    /// The track simplified for upload or display, each point with its time.
    pub fn patrol_track(&self, patrol_id: Option<String>, epsilon_m: f64) -> Result<Vec<track::TrackPoint>> {
        let (_, points) = self
            .tracks
            .patrol_with_points(&self.store, patrol_id.as_deref())?;
        Ok(track::simplify::simplify(&points, epsilon_m))
    }
}

impl Drop for Client {
    /// Closing the app normally loses no fix.
    fn drop(&mut self) {
        if let Err(error) = self.tracks.flush(&self.store) {
            tracing::warn!(%error, "waiting patrol fixes could not be committed on close");
        }
        self.record_unsent_count();
    }
}

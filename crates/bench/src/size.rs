//! How big a run is. `Full` is the size the goals are stated at; `Quick` is ten times smaller
//! for a figure in minutes; `Smoke` runs every section once on a tiny store in whatever
//! profile it was built in, so CI knows the bench still runs and prints its keys. A smoke run
//! measures nothing.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    Full,
    Quick,
    Smoke,
}

impl Size {
    pub fn from_args(args: &[String]) -> Self {
        if args.iter().any(|a| a == "--smoke") {
            Self::Smoke
        } else if args.iter().any(|a| a == "--quick") {
            Self::Quick
        } else {
            Self::Full
        }
    }

    /// A count given at full size, scaled down (never to nothing).
    pub fn of(self, full: usize) -> usize {
        let divisor = match self {
            Self::Full => 1,
            Self::Quick => 10,
            Self::Smoke => 1_000,
        };
        (full / divisor).max(1)
    }

    /// Repetitions of a measured step: the full count, or once in a smoke run.
    pub fn rounds(self, full: usize, quick: usize) -> usize {
        match self {
            Self::Full => full,
            Self::Quick => quick,
            Self::Smoke => 1,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::Quick => "quick",
            Self::Smoke => "smoke",
        }
    }
}

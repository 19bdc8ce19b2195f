//! Charts drawn with plotters: figures in, SVG/PNG out. Must not read the store or call the
//! network itself: callers hand it the engine's tables and the shapes.
//!
//! - [`map`]: the NUTS-2 choropleth.

pub mod map;

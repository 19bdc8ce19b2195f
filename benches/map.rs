//! Map benchmark: `charts::map::draw` of the NUTS-2 choropleth, 800×500, into an SVG string, over
//! the real GISCO shapes (loaded once, as the service keeps them) and the real regional values of
//! `../shared/data` (households with internet access, 2025, Jenks breaks in five classes) with
//! BE10 highlighted: from the values to the SVG bytes (the no-data fills made the hatching pattern). Also `Shapes::from_batches` (the load and
//! projection, once per version of the shapes) and the breaks. Run with `cargo bench --bench map`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use arrow::array::{Array, Float64Array, StringArray};
use criterion::{Criterion, criterion_group, criterion_main};
use plotters::prelude::{IntoDrawingArea, SVGBackend};
use plotters::style::RGBColor;

use desi_city::charts::map::{self, MapStyle};
use desi_city::fetch::parse::{self, Format, ParseOptions};
use desi_city::geo::{Shapes, breaks};

fn shared(rel: &str) -> Vec<u8> {
    let path = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data")).join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn values() -> BTreeMap<String, f64> {
    let bytes = shared("eurostat/sdmx-csv/isoc_r_iacc_h_excerpt.csv");
    let parsed = parse::parse(
        Format::SdmxCsv,
        "isoc_r_iacc_h",
        &bytes,
        &ParseOptions::default(),
    )
    .expect("the excerpt parses");
    let b = &parsed.batch;
    let text = |name: &str| {
        b.column_by_name(name)
            .and_then(|c| c.as_any().downcast_ref::<StringArray>())
            .expect("a string column")
            .clone()
    };
    let (geo, period) = (text("geo"), text("period"));
    let value = b
        .column_by_name("value")
        .and_then(|c| c.as_any().downcast_ref::<Float64Array>())
        .expect("value")
        .clone();
    (0..b.num_rows())
        .filter(|&i| geo.value(i).len() == 4 && period.value(i) == "2025" && value.is_valid(i))
        .map(|i| (geo.value(i).to_owned(), value.value(i)))
        .collect()
}

const FILLS: [RGBColor; 5] = [
    RGBColor(0xDE, 0xEB, 0xF7),
    RGBColor(0x9E, 0xCA, 0xE1),
    RGBColor(0x42, 0x92, 0xC6),
    RGBColor(0x21, 0x71, 0xB5),
    RGBColor(0x08, 0x45, 0x94),
];

fn bench(c: &mut Criterion) {
    let bytes = shared("geo/NUTS_RG_60M_2021_4326_LEVL_2.geojson");
    let parsed = parse::parse(Format::GeoJson, "gisco", &bytes, &ParseOptions::default())
        .expect("the shapes parse");
    let batches = [parsed.batch];
    let shapes = Shapes::from_batches("bench", &batches).expect("shapes");
    let values = values();
    let all: Vec<f64> = values.values().copied().collect();
    let format = |v: f64| format!("{v:.1}").replace('.', ",");
    let style = MapStyle {
        fills: &FILLS,
        no_data: RGBColor(0x99, 0x99, 0x99),
        no_data_fill: RGBColor(0xF7, 0xF7, 0xF7),
        stroke: RGBColor(0xFF, 0xFF, 0xFF),
        background: RGBColor(0xF7, 0xF7, 0xF7),
        text: RGBColor(0x22, 0x22, 0x22),
        muted: RGBColor(0x59, 0x59, 0x59),
        font: "sans-serif",
        font_size: 12.0,
        format: &format,
        no_data_label: "Pas de données",
        highlight_name: None,
    };

    let mut group = c.benchmark_group("map");
    group.bench_function("svg-800x500", |b| {
        b.iter(|| {
            let breaks = breaks::natural(&all, 5);
            let mut svg = String::with_capacity(512 * 1024);
            let drawn = {
                let area = SVGBackend::with_string(&mut svg, (800, 500)).into_drawing_area();
                let drawn = map::draw(&area, &shapes, &values, &breaks, Some("BE10"), &style)
                    .expect("draws");
                area.present().expect("presents");
                drawn
            };
            map::finish(
                &svg,
                &drawn,
                style.background,
                style.no_data,
                style.no_data_fill,
                "bench",
            )
            .into_bytes()
        })
    });
    group.bench_function("shapes-load-and-project", |b| {
        b.iter(|| Shapes::from_batches("bench", &batches).expect("shapes"))
    });
    group.bench_function("jenks-5-classes", |b| b.iter(|| breaks::natural(&all, 5)));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

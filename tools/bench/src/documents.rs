//! `encaisse-bench documents`: how long rendering an invoice takes and how big it is: a one-page
//! invoice, a 50-line one (several pages) and a SEPA month's summary of 14 orders, each the whole Factur-X document (CII XML, layout,
//! PDF/A-3 with krilla, the XMP edit with lopdf), in this build's profile.

use std::time::Instant;

use encaisse::documents::invoice_document;
use encaisse::documents::samples::samples;

pub fn run(runs: usize) -> Result<(), Box<dyn std::error::Error>> {
    println!("| document | pages | PDF bytes | XML bytes | median ms | p95 ms | runs |");
    println!("|---|---|---|---|---|---|---|");
    for (label, name) in [
        ("1-page invoice", "full-card"),
        ("50-line invoice", "fifty-lines"),
        ("month summary, 14 orders", "month-summary"),
    ] {
        let invoice = samples()
            .into_iter()
            .find(|(n, _)| *n == name)
            .map(|(_, i)| i)
            .ok_or("sample missing")?;
        // Warm-up: the font's first parse, allocations.
        let document = invoice_document(&invoice)?;
        let mut times: Vec<f64> = (0..runs)
            .map(|_| {
                let start = Instant::now();
                let rendered = invoice_document(&invoice).map(|d| d.pdf.len());
                let ms = start.elapsed().as_secs_f64() * 1000.0;
                rendered.map(|_| ms)
            })
            .collect::<Result<_, _>>()?;
        times.sort_by(|a, b| a.total_cmp(b));
        let median = times[times.len() / 2];
        let p95 = times[(times.len() * 95 / 100).min(times.len() - 1)];
        println!(
            "| {label} | {} | {} | {} | {median:.2} | {p95:.2} | {runs} |",
            document.pages,
            document.pdf.len(),
            document.xml.len()
        );
    }
    Ok(())
}

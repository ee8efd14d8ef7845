/// The report's inline stylesheet and self-check script: the file has no other resources, so it
/// opens offline and from a CI artifact alike.
enum HTMLStyle {
    static let css = """
    body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1240px;padding:16px 20px;color:#1d2330;background:#fff}
    h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;border-bottom:1px solid #d7dbe3;padding-bottom:3px;margin:26px 0 8px}
    h3{font-size:15px;margin:16px 0 6px}code,pre,.mono{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,monospace;font-size:12.5px}
    .verdict{display:inline-block;padding:2px 10px;border-radius:10px;font-weight:600;color:#fff}
    .v-compatible{background:#2e7d32}.v-compatible-with-notes{background:#558b2f}.v-incompatible{background:#c62828}.v-inconclusive{background:#8d6e00}
    table{border-collapse:collapse;width:100%;margin:6px 0}th,td{border:1px solid #d7dbe3;padding:3px 6px;text-align:left;vertical-align:top}
    th{background:#f2f4f8}td.num{text-align:right}.meta td:first-child{width:150px;color:#555}
    .finding{border:1px solid #d7dbe3;border-left:5px solid #999;border-radius:4px;padding:6px 10px;margin:8px 0}
    .finding.error{border-left-color:#c62828}.finding.warning{border-left-color:#ef8f00}.finding.note{border-left-color:#607d8b}
    .finding:target{background:#fff6d6}.sev{font-weight:600;text-transform:uppercase;font-size:11px}
    .finding dl{display:grid;grid-template-columns:110px 1fr;gap:1px 8px;margin:4px 0}.finding dt{color:#555}.finding dd{margin:0;word-break:break-all}
    .outcome-ok{color:#2e7d32}.outcome-bad{color:#c62828}.note{color:#666}
    .maps{display:flex;gap:14px;flex-wrap:wrap;align-items:flex-start}.map{flex:1 1 560px;min-width:0}.map svg{max-width:100%;height:auto}
    svg text{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:10px}svg .lane-title{font-size:12px;font-weight:600;font-family:system-ui,sans-serif}
    svg .violation circle{stroke:#fff;stroke-width:1.5}svg .violation:hover circle{stroke:#000}
    details{margin:6px 0}summary{cursor:pointer}
    """

    /// Checks the page itself once loaded: every violation marker links to a finding that exists.
    /// Sets `data-ok` on <body> (what the headless-browser test reads back from the DOM).
    static let script = """
    (function(){var m=document.querySelectorAll('.violation'),bad=0;
    for(var i=0;i<m.length;i++){var a=m[i].querySelector('a'),h=a&&(a.getAttribute('href')||a.getAttribute('xlink:href'));
    if(!h||h.charAt(0)!=='#'||!document.getElementById(h.slice(1)))bad++;}
    document.body.setAttribute('data-markers',String(m.length));
    document.body.setAttribute('data-ok',bad===0?'1':'broken-links:'+bad);})();
    """
}

"""The report page's inline style sheet and the script that checks it rendered (charts, images)."""

from __future__ import annotations

CSS = """
body{font-family:"DejaVu Sans",Arial,sans-serif;margin:2em auto;max-width:62em;color:#212121;
line-height:1.4;padding:0 1em}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.2em;border-bottom:2px solid #1565c0;
margin-top:2em}
table{border-collapse:collapse;width:100%;font-size:.9em}th,td{border:1px solid #bdbdbd;
padding:.25em .5em;text-align:left}th{background:#eceff1}td.n{text-align:right}
figure{margin:1em 0;page-break-inside:avoid}figure svg{max-width:100%;height:auto}
dl.summary{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}dt{font-weight:bold}
.done{background:#c8e6c9}.partly{background:#fff9c4}.missed{background:#ffcdd2}
.muted{color:#757575}.rx td{vertical-align:middle}.rx svg{width:14em;height:auto}
.safety-stop{background:#ffe0b2;font-weight:bold}
.alarm{background:#ffcdd2;font-weight:bold;padding:0 .2em}
@media print{body{margin:0;max-width:none}h2{page-break-after:avoid}
tr{page-break-inside:avoid}}
"""

CHECK = """
(function(){
  var problems=[];
  var figs=document.querySelectorAll('figure[data-chart]');
  figs.forEach(function(f){
    var s=f.querySelector('svg');
    if(!s){problems.push('no chart in '+f.dataset.chart);return;}
    var b=s.getBoundingClientRect();
    if(!(b.width>0&&b.height>0))problems.push('empty chart '+f.dataset.chart);
  });
  Array.prototype.forEach.call(document.images,function(i){
    if(!i.complete||i.naturalWidth===0)problems.push('image not loaded');
  });
  document.body.setAttribute('data-rendered',problems.length?'error: '+problems.join('; '):'ok');
  document.body.setAttribute('data-charts',String(figs.length));
})();
"""

#!/usr/bin/env python3
"""Generates the demo city's schematic map (示意图): 510700.json, one cell per district.

Each district's cell is the area nearer to its seat than to any other seat (a Voronoi
diagram of the district seats the demo city's generator uses, crates/seed/src/popularization),
cut to a rounded outline around all seats. It places each district where it is, in the
right order and neighbourhood, but it is not a surveyed boundary: a city putting the hub in
front of its leadership supplies its own boundary files (README, "The cockpit").

    pip install shapely && python3 gateway/cockpit/maps/generate.py
"""
import json
import pathlib

from shapely.geometry import MultiPoint, Point, mapping
from shapely.ops import voronoi_diagram

SEATS = {  # division code: (name, (longitude, latitude))
    "510703": ("涪城区", (104.74, 31.46)),
    "510704": ("游仙区", (104.77, 31.48)),
    "510705": ("安州区", (104.57, 31.53)),
    "510722": ("三台县", (105.09, 31.10)),
    "510723": ("盐亭县", (105.39, 31.21)),
    "510725": ("梓潼县", (105.17, 31.64)),
    "510726": ("北川羌族自治县", (104.45, 31.62)),
    "510727": ("平武县", (104.53, 32.41)),
    "510781": ("江油市", (104.75, 31.78)),
}

outline = MultiPoint([seat for _, seat in SEATS.values()]).convex_hull.buffer(0.32, quad_segs=4)
cells = voronoi_diagram(MultiPoint([seat for _, seat in SEATS.values()]), envelope=outline.envelope)
features = []
for code, (name, seat) in SEATS.items():
    cell = next(polygon for polygon in cells.geoms if polygon.contains(Point(seat)))
    shape = cell.intersection(outline).simplify(0.005)
    geometry = mapping(shape)
    geometry["coordinates"] = json.loads(json.dumps(geometry["coordinates"]), parse_float=lambda v: round(float(v), 4))
    features.append({
        "type": "Feature",
        "properties": {"adcode": code, "name": name, "center": list(seat)},
        "geometry": geometry,
    })
out = pathlib.Path(__file__).with_name("510700.json")
out.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False, separators=(",", ":")) + "\n")
print(f"wrote {out} ({out.stat().st_size} bytes, {len(features)} districts)")

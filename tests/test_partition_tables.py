"""The engine's small tables a planner ends up reading: grid codes in reading order, each grid's
buildings with their households for the sub-grids, and links between the pieces of a village."""

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridtool.partition.codes import assign_codes
from gridtool.partition.regions import bridge_parts
from gridtool.partition.subgrids import subgrid_work


def test_codes_follow_reading_order_whatever_the_row_labels():
    # Two villages; rows shuffled and labelled out of order (a filtered layer keeps its labels).
    boxes = [shapely.box(x, y, x + 10, y + 10) for x, y in [(20, 0), (0, 0), (0, 50), (40, 50), (0, 100)]]
    gdf = gpd.GeoDataFrame({"village_code": ["A", "A", "A", "B", "B"]}, geometry=boxes, index=[7, 3, 11, 0, 5])
    codes = assign_codes(gdf, group="village_code")
    # Village A: the top band first (0, 50), then west to east in the band below.
    assert codes == ["A-03", "A-02", "A-01", "B-02", "B-01"]


def test_each_grid_gets_its_buildings_once_with_all_their_households():
    # Grid 0 holds building 5 in two parts (an apartment split by entrance) and building 2;
    # grid 2 holds building 5's third part; grid 1 holds nothing.
    assign = pd.DataFrame({"feature": [5, 2, 5, 5], "hh": [12, 3, 10, 8], "grid_index": [0, 0, 0, 2]})
    grids = gpd.GeoDataFrame({"code": ["g0", "g1", "g2"]}, geometry=[shapely.box(0, 0, 1, 1)] * 3)
    todo, weights = subgrid_work(grids, assign)
    assert todo == [0, 2]
    assert weights[0][0].tolist() == [2, 5] and weights[0][1].tolist() == [3, 22]
    assert weights[2][0].tolist() == [5] and weights[2][1].tolist() == [8]
    assert subgrid_work(grids, assign.iloc[:0]) == ([], {})


def test_pieces_of_a_region_are_linked_to_their_nearest_block():
    geoms = np.array([shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10),
                      shapely.box(100, 0, 110, 10), shapely.box(40, 0, 50, 10)], dtype=object)
    cols = {"length": 10.0, "affinity": 10.0, "major": False, "hard": False, "cross_village": False, "cls": "road"}
    one_piece = pd.DataFrame([{"a": 0, "b": 1, **cols}, {"a": 1, "b": 3, **cols}])
    assert bridge_parts([3, 1, 0], one_piece, geoms).empty
    apart = pd.DataFrame([{"a": 0, "b": 1, **cols}])
    links = bridge_parts([2, 0, 1, 3], apart, geoms)
    # Pieces in order of their first block: block 2 joins block 1, the nearest of the first piece;
    # then block 3 joins block 1 again (20 m away; block 2 is 50 m away).
    assert links[["a", "b"]].values.tolist() == [[1, 2], [1, 3]]
    assert links["hard"].all() and (links["affinity"] == 0).all()

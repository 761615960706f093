from govcx.web.charts import Feature, choropleth


def _square(west: float, south: float) -> dict:
    ring = [[west, south], [west + 1, south], [west + 1, south + 1], [west, south + 1], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def test_areas_shade_from_light_to_dark_and_withheld_values_stand_apart():
    chart = choropleth([
        Feature("Few", _square(0, 0), 10), Feature("Many", _square(1, 0), 100),
        Feature("Hidden", _square(2, 0), None), Feature("No shape", {}, 50),
    ], withheld_label="Suppressed")

    assert [a.title for a in chart.areas] == ["Few", "Many", "Hidden"]
    assert [a.css_class for a in chart.areas] == ["chart-fill--1", "chart-fill--5", "chart-fill--withheld"]
    assert [e.label for e in chart.legend] == ["10 to 28", "29 to 46", "47 to 64", "65 to 82", "83 to 100",
                                               "Suppressed"]


def test_a_narrow_range_still_uses_the_whole_scale():
    chart = choropleth([Feature("A", _square(0, 0), 5), Feature("B", _square(1, 0), 6)])

    assert [a.css_class for a in chart.areas] == ["chart-fill--1", "chart-fill--5"]
    assert [e.label for e in chart.legend] == ["5", "6"]


def test_shapes_are_projected_inside_the_drawing():
    chart = choropleth([Feature("A", {"type": "MultiPolygon", "coordinates": [
        [_square(10, 50)["coordinates"][0]], [_square(12, 51)["coordinates"][0]]]}, 7)])

    numbers = [float(n) for part in chart.areas[0].path.replace("M", " ").replace("L", " ").replace("Z", " ").split()
               for n in part.split(",")]
    assert chart.areas[0].path.count("M") == 2
    assert min(numbers) >= 0 and max(numbers[0::2]) <= chart.width and max(numbers[1::2]) <= chart.height


def test_no_shapes_means_no_map():
    assert choropleth([Feature("A", {}, 3)]) is None

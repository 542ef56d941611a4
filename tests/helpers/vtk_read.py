#!/usr/bin/python3
"""Independent check of lithomech's VTK XML output with the VTK library itself.

Usage: /usr/bin/python3 vtk_read.py [--max-values N] FILE...

Reads each .vti with vtkXMLImageDataReader and each .vtu with vtkXMLUnstructuredGridReader and
prints one JSON document {"files": [...]} describing what VTK saw: geometry, counts, and for every
array its VTK type, components, tuples, per-component range, a SHA-256 of its raw (host byte
order) bytes and, when it has at most N values, the values themselves. Errors and warnings VTK
reports are captured in "messages" (a reader that fails silently still shows up there).
Non-finite floats are written as strings ("nan", "inf", "-inf") to keep the output valid JSON.
"""
import hashlib
import json
import math
import sys

import vtk


def num(v):
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    return v


def describe_array(arr, max_values):
    info = {
        "name": arr.GetName(),
        "class": arr.GetClassName(),
        "components": arr.GetNumberOfComponents(),
        "tuples": arr.GetNumberOfTuples(),
    }
    if isinstance(arr, vtk.vtkStringArray):
        info["values"] = [arr.GetValue(i) for i in range(arr.GetNumberOfValues())]
        return info
    info["type"] = arr.GetDataTypeAsString()
    n = arr.GetNumberOfValues()
    if n > 0:
        view = memoryview(arr)
        info["sha256"] = hashlib.sha256(view.tobytes()).hexdigest()
        info["range"] = [[num(x) for x in arr.GetRange(c)] for c in range(arr.GetNumberOfComponents())]
        if n <= max_values:
            values = view.cast("B").cast(view.format).tolist()
            info["values"] = [num(v) for v in values]
    else:
        info["sha256"] = hashlib.sha256(b"").hexdigest()
    return info


def describe_attributes(data, max_values):
    return {data.GetArrayName(i): describe_array(data.GetAbstractArray(i), max_values)
            for i in range(data.GetNumberOfArrays())}


def read_vti(path, max_values):
    reader = vtk.vtkXMLImageDataReader()
    reader.SetFileName(path)
    reader.Update()
    img = reader.GetOutput()
    return {
        "kind": "ImageData",
        "dimensions": list(img.GetDimensions()),
        "extent": list(img.GetExtent()),
        "spacing": list(img.GetSpacing()),
        "origin": list(img.GetOrigin()),
        "cells": img.GetNumberOfCells(),
        "points": img.GetNumberOfPoints(),
        "cellData": describe_attributes(img.GetCellData(), max_values),
        "pointData": describe_attributes(img.GetPointData(), max_values),
        "fieldData": describe_attributes(img.GetFieldData(), max_values),
    }


def read_vtu(path, max_values):
    reader = vtk.vtkXMLUnstructuredGridReader()
    reader.SetFileName(path)
    reader.Update()
    grid = reader.GetOutput()
    n_cells = grid.GetNumberOfCells()
    n_points = grid.GetNumberOfPoints()
    coords = [tuple(grid.GetPoint(i)) for i in range(n_points)]
    cell_types = sorted({grid.GetCellType(i) for i in range(n_cells)})

    # Geometry of every hexahedron: edges along +x, +y, +z in VTK corner order, centres.
    hex_order_ok = True
    centers = []
    edge_lengths = set()
    expected = [(0, 0, 0), (1, 0, 0), (1, 1, 0), (0, 1, 0), (0, 0, 1), (1, 0, 1), (1, 1, 1), (0, 1, 1)]
    for c in range(n_cells):
        ids = vtk.vtkIdList()
        grid.GetCellPoints(c, ids)
        pts = [coords[ids.GetId(k)] for k in range(ids.GetNumberOfIds())]
        if len(pts) != 8:
            hex_order_ok = False
            continue
        p0 = pts[0]
        d = [pts[6][a] - p0[a] for a in range(3)]
        edge_lengths.add(tuple(round(x, 12) for x in d))
        for k, (ex, ey, ez) in enumerate(expected):
            want = (p0[0] + ex * d[0], p0[1] + ey * d[1], p0[2] + ez * d[2])
            if any(abs(pts[k][a] - want[a]) > 1e-9 * max(1.0, abs(d[a])) for a in range(3)):
                hex_order_ok = False
        if min(d) <= 0:
            hex_order_ok = False
        centers.append([num(sum(p[a] for p in pts) / 8) for a in range(3)])

    # Volumes by two VTK filters.
    size = vtk.vtkCellSizeFilter()
    size.SetInputData(grid)
    size.ComputeVertexCountOff()
    size.ComputeLengthOff()
    size.ComputeAreaOff()
    size.ComputeVolumeOn()
    size.ComputeSumOn()
    size.Update()
    vol = size.GetOutput().GetCellData().GetArray("Volume")
    volumes = [vol.GetValue(i) for i in range(vol.GetNumberOfTuples())] if vol else []

    quality = vtk.vtkMeshQuality()
    quality.SetInputData(grid)
    quality.SetHexQualityMeasureToVolume()
    quality.Update()
    q = quality.GetOutput().GetCellData().GetArray("Quality")
    hex_volumes = [q.GetValue(i) for i in range(q.GetNumberOfTuples())] if q else []

    return {
        "kind": "UnstructuredGrid",
        "cells": n_cells,
        "points": n_points,
        "distinctPoints": len(set(coords)),
        "cellTypes": cell_types,
        "hexOrderOk": hex_order_ok,
        "centers": centers if n_cells <= max_values else None,
        "volumeSum": math.fsum(volumes),
        "volumeMin": min(volumes) if volumes else None,
        "volumeMax": max(volumes) if volumes else None,
        "hexVolumeSum": math.fsum(hex_volumes),
        "hexVolumeMin": min(hex_volumes) if hex_volumes else None,
        "hexVolumeMax": max(hex_volumes) if hex_volumes else None,
        "bounds": list(grid.GetBounds()),
        "cellData": describe_attributes(grid.GetCellData(), max_values),
        "pointData": describe_attributes(grid.GetPointData(), max_values),
    }


def main(argv):
    max_values = 100000
    paths = []
    i = 0
    while i < len(argv):
        if argv[i] == "--max-values":
            max_values = int(argv[i + 1])
            i += 2
        else:
            paths.append(argv[i])
            i += 1

    # Capture everything VTK prints (errors, warnings) instead of letting it go to stderr.
    window = vtk.vtkStringOutputWindow()
    vtk.vtkOutputWindow.SetInstance(window)

    files = []
    for path in paths:
        before = len(window.GetOutput())
        if path.endswith(".vti"):
            info = read_vti(path, max_values)
        elif path.endswith(".vtu"):
            info = read_vtu(path, max_values)
        else:
            raise SystemExit(f"unsupported file type: {path}")
        info["path"] = path
        info["messages"] = window.GetOutput()[before:]
        files.append(info)
    json.dump({"vtkVersion": vtk.vtkVersion.GetVTKVersion(), "files": files}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1:])

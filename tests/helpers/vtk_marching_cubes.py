#!/usr/bin/python3
"""Marching-cubes reference for interface areas, with Debian's VTK.

Usage: /usr/bin/python3 vtk_marching_cubes.py FILE.vti ARRAY ID

Reads the cell array ARRAY of FILE.vti, puts it on the voxel centres (as point data of an image
whose points are the cell centres; the same array, no copy), thresholds it to the indicator of ID, extracts the 0.5 iso-surface with
vtkMarchingCubes and prints {"area": ..., "triangles": ...} (area from vtkMassProperties, in the
file's length units). The surface is open at the box faces: only interior interfaces count,
as in lithomech's own definition.
"""
import json
import sys

import vtk


def main():
    path, name, ident = sys.argv[1], sys.argv[2], float(sys.argv[3])
    reader = vtk.vtkXMLImageDataReader()
    reader.SetFileName(path)
    reader.Update()
    img = reader.GetOutput()
    nx, ny, nz = [d - 1 for d in img.GetDimensions()]
    sx, sy, sz = img.GetSpacing()
    arr = img.GetCellData().GetArray(name)
    centres = vtk.vtkImageData()
    centres.SetDimensions(nx, ny, nz)
    centres.SetSpacing(sx, sy, sz)
    centres.SetOrigin(0.5 * sx, 0.5 * sy, 0.5 * sz)
    centres.GetPointData().SetScalars(arr)
    thr = vtk.vtkImageThreshold()
    thr.SetInputData(centres)
    thr.ThresholdBetween(ident, ident)  # integer label arrays: the bounds are cast to the array type
    thr.SetInValue(1.0)
    thr.SetOutValue(0.0)
    thr.SetOutputScalarTypeToFloat()
    mc = vtk.vtkMarchingCubes()
    mc.SetInputConnection(thr.GetOutputPort())
    mc.SetValue(0, 0.5)
    mc.ComputeNormalsOff()
    mc.Update()
    tri = vtk.vtkTriangleFilter()
    tri.SetInputConnection(mc.GetOutputPort())
    tri.Update()
    mp = vtk.vtkMassProperties()
    mp.SetInputConnection(tri.GetOutputPort())
    mp.Update()
    print(json.dumps({"area": mp.GetSurfaceArea(), "triangles": tri.GetOutput().GetNumberOfCells()}))


main()

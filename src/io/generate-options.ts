/**
 * Defaults of the synthetic sphere-pack RVE (`lithomech generate spheres` and `rve.generate` in
 * scenario files, src/io/scenario.ts): a 20 × 20 × 40 µm NMC-like electrode at 0.5 µm voxels,
 * ≈40/30/30 vol % active/electrolyte/CBD. Written as the CLI takes them (text with units).
 */
export const DEFAULT_PACK = {
  shape: '40,40,80',
  voxelSize: '0.5um',
  activeFraction: 0.4,
  cbdFraction: 0.3,
  radius: '3um',
  radiusSigma: 0.25,
  overlap: 0.15,
  seed: 1,
} as const;

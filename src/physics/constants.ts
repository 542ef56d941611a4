/** Physical constants (CODATA 2018 exact values where defined). */
export const FARADAY = 96485.33212; // C/mol
export const GAS_CONSTANT = 8.314462618; // J/(mol K)
export const STANDARD_TEMPERATURE = 298.15; // K

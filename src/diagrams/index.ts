/** Diagrams drawn from the protocol machines: DOT, SVG and Mermaid text, and the diagrams/ files. */
export { machineGraph, edgeLabel, formatAction, formatGuard } from './machine-graph.js';
export type { MachineGraph, GraphState, GraphEdge } from './machine-graph.js';
export { toDot, stateElementId, transitionElementId } from './dot.js';
export { toMermaid } from './mermaid.js';
export { dotToSvg, machineSvg } from './svg.js';
export { generateDiagramFiles, drawnMachines } from './diagram-files.js';

/**
 * The circle maths both ring drawings share (ring-view.ts in a tab, projector-ring.ts on the projector):
 * positions by turn (a fraction of the circle, 0 at twelve o'clock, clockwise) around a centre.
 */
export interface RingGeometry {
  /** The point at `radius` from the centre, `turn` of the way round. */
  polar(radius: number, turn: number): [number, number];
  /** An annular sector between radii r0 < r1, from turn a to turn b, as an SVG path. */
  sector(r0: number, r1: number, a: number, b: number): string;
}

export function ringGeometry(center: number): RingGeometry {
  const polar = (radius: number, turn: number): [number, number] => {
    const angle = turn * 2 * Math.PI - Math.PI / 2;
    return [center + radius * Math.cos(angle), center + radius * Math.sin(angle)];
  };
  const sector = (r0: number, r1: number, a: number, b: number): string => {
    const [x0, y0] = polar(r1, a);
    const [x1, y1] = polar(r1, b);
    const [x2, y2] = polar(r0, b);
    const [x3, y3] = polar(r0, a);
    const large = b - a > 0.5 ? 1 : 0;
    return `M${x0} ${y0} A${r1} ${r1} 0 ${large} 1 ${x1} ${y1} L${x2} ${y2} A${r0} ${r0} 0 ${large} 0 ${x3} ${y3} Z`;
  };
  return { polar, sector };
}

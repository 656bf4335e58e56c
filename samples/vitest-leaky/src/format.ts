// Pure functions: nothing outlives the call.
export class Invoice {
  constructor(
    readonly lines: Array<{ item: string; cents: number }>,
  ) {}
  total(): number {
    return this.lines.reduce((sum, l) => sum + l.cents, 0);
  }
}

export function formatInvoice(invoice: Invoice): string {
  return invoice.lines.map((l) => `${l.item}: ${(l.cents / 100).toFixed(2)}`).join("\n") + `\ntotal ${invoice.total()}`;
}

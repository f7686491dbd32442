import { encodeReceipt, kioskTopics, RECEIPT_MAX_IDS } from '@qrkiosk/protocol';

/**
 * Collects the ids of check-ins stored in one turn of the event loop and sends each kiosk one
 * receipt for them (protocol/src/receipt.ts): a batch of 32 lanes becomes a message or two, not 32.
 * A receipt that is lost costs nothing but a resend from the kiosk, which the hub stores once and
 * receipts again, so there is no retry here.
 */
export class ReceiptSender {
  private byTopic = new Map<string, string[]>();
  private scheduled = false;

  constructor(private readonly publish: (topic: string, payload: string) => void) {}

  add(site: string, kiosk: string, id: string): void {
    const topic = kioskTopics(site, kiosk).receipt;
    const ids = this.byTopic.get(topic);
    if (ids) ids.push(id);
    else this.byTopic.set(topic, [id]);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  flush(): void {
    this.scheduled = false;
    const batches = this.byTopic;
    this.byTopic = new Map();
    for (const [topic, ids] of batches)
      for (let i = 0; i < ids.length; i += RECEIPT_MAX_IDS)
        this.publish(topic, encodeReceipt(ids.slice(i, i + RECEIPT_MAX_IDS)));
  }
}

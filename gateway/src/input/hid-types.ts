/**
 * The part of node-hid's HIDAsync device the kiosk uses. The seam is this thin on purpose: tests
 * (this machine has no uhid/uinput/USB in its kernel) feed recorded report streams through a
 * stand-in with the same three members.
 */
export interface HidDeviceLike {
  on(event: 'data', listener: (report: Buffer) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  close(): unknown;
}

export interface HidDeviceInfo {
  path?: string;
  vendorId: number;
  productId: number;
  serialNumber?: string;
  usagePage?: number;
  usage?: number;
  interface?: number;
  product?: string;
  manufacturer?: string;
}

export interface HidBackend {
  /** node-hid's driver for the real backend (exclusive access needs 'libusb'); absent in stand-ins. */
  readonly driver?: 'hidraw' | 'libusb';
  devices(): Promise<HidDeviceInfo[]>;
  open(path: string): Promise<HidDeviceLike>;
}

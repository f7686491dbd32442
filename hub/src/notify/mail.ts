import { readSecretFile } from '@qrkiosk/protocol';
import nodemailer from 'nodemailer';
import type { MailMessage } from './messages.js';
import { secretOf } from './secret-file.js';

export interface SmtpSettings {
  host: string;
  port: number;
  secure: boolean;
  user: string;
  passwordFile: string;
  from: string;
}

/**
 * E-mail over SMTP (nodemailer). One pooled-less transport: a notice is a few messages a minute at
 * most, and a fresh connection per message survives a restarted mail server without state.
 */
export class Mailer {
  private readonly transport;

  constructor(private readonly smtp: SmtpSettings) {
    const pass = smtp.passwordFile
      ? secretOf(smtp.passwordFile, { vi: 'tệp mật khẩu SMTP', en: 'SMTP password file' }, readSecretFile)
      : undefined;
    this.transport = nodemailer.createTransport({
      host: smtp.host,
      port: smtp.port,
      secure: smtp.secure,
      ...(smtp.user ? { auth: { user: smtp.user, pass: pass ?? '' } } : {}),
      // Bounded waits: a mail server that accepts and hangs must not hold a notice's lease for ever.
      connectionTimeout: 15_000,
      greetingTimeout: 15_000,
      socketTimeout: 30_000,
    });
  }

  async send(to: string, m: MailMessage): Promise<void> {
    await this.transport.sendMail({
      from: this.smtp.from,
      to,
      subject: m.subject,
      text: m.text,
      ...(m.attachments ? { attachments: m.attachments } : {}),
    });
  }

  close(): void {
    this.transport.close();
  }
}

/** The certificate Graph encrypts resource data with (public part, as sent on subscription requests). */
export interface EncryptionCertificate {
  /** `encryptionCertificateId` sent to Graph (≤128 chars). */
  id: string;
  /** Base64 of the DER-encoded X.509 certificate, no PEM armour, no line breaks. */
  certificateBase64: string;
  /** SHA-1 thumbprint, uppercase hex (what Graph echoes as encryptionCertificateThumbprint). */
  thumbprint: string;
  notAfter: Date;
}

/** Where the subscription manager gets the certificate for new subscriptions. */
export interface EncryptionCertificateSource {
  current(): EncryptionCertificate;
}

/** The certificates' side of a rotation while Herald runs (the subscription manager drives it daily). */
export interface CertificateRotation {
  /** Re-reads the configured certificate or renews a generated one; true when the primary changed. */
  refresh(): Promise<boolean>;
  /** Every certificate Herald can decrypt with now. */
  list(): EncryptionCertificate[];
  /** Stops decrypting with a certificate no subscription uses any more (never the primary). */
  retire(thumbprint: string): boolean;
}

import MezhvedCore

extension ErrorCode where Domain == GatewayError {
    /// A message id already received with other bytes: an id names one document for ever.
    public static let messageIDReused = ErrorCode("message-id-reused", .refused)
    /// The message's end of life has passed; it is not delivered.
    public static let messageExpired = ErrorCode("message-expired", .refused)
    /// A receipt that does not verify or does not acknowledge the bytes sent: not an acknowledgement.
    public static let receiptNotValid = ErrorCode("receipt-not-valid", .documentInvalid)
}

namespace SesWorker.Worker.Accounts;

/// <summary>The provider's three SMTP endpoints (the SES SMTP guide). Port 465, implicit TLS, on all of them.</summary>
public enum SesRegion
{
    /// <summary>smtp.qcloudmail.com</summary>
    HongKong,

    /// <summary>gz-smtp.qcloudmail.com</summary>
    Guangzhou,

    /// <summary>sg-smtp.qcloudmail.com</summary>
    International,
}

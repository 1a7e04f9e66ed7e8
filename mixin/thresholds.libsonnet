// Where each threshold of config.libsonnet stands in the shipped rule file: for each alert (or
// threshold recording rule), the text that holds the default value in its expression, summary
// or description, and the same text written with the setting. mixin.libsonnet replaces one with the other, and fails (naming the alert
// and the text) when the rule file no longer holds that text exactly once: a threshold can
// never be silently left behind when the rules change.
local days(n) = if n == 1 then '86400' else '%d * 86400' % n;
local words(n, one, many) = if n == 1 then one else '%d %s' % [n, many];
{
  patches(c):: [
    // alert, field, default text, text with the setting
    ['CertCentralAdministratorInactive', 'expr', '} > 90', '} > %d' % c.administratorInactiveDays],
    ['CertCentralAdministratorInactive', 'summary', 'more than 90 days', 'more than %d days' % c.administratorInactiveDays],
    ['CertCentralManagerInactive', 'expr', '} > 90', '} > %d' % c.managerInactiveDays],
    ['CertCentralManagerInactive', 'summary', 'more than 90 days', 'more than %d days' % c.managerInactiveDays],
    ['CertCentralFundsLow', 'expr', 'certcentral_account_available_funds < 500', 'certcentral_account_available_funds < %s' % c.fundsLow],
    ['CertCentralFundsLow', 'expr', 'certcentral_account_balance < 500', 'certcentral_account_balance < %s' % c.fundsLow],
    ['CertCentralFundsLow', 'summary', 'below 500', 'below %s' % c.fundsLow],
    ['CertCentralFundsRunningOut', 'expr', '14 * 86400', '%d * 86400' % c.fundsRunOutDays],
    ['CertCentralFundsRunningOut', 'summary', 'within 14 days', 'within %d days' % c.fundsRunOutDays],
    ['CertCentralDomainDCVPending', 'expr', '> 86400', '> ' + days(c.dcvPendingDays)],
    ['CertCentralDomainDCVPending', 'summary', 'more than a day', 'more than ' + words(c.dcvPendingDays, 'a day', 'days')],
    ['CertCentralDomainDCVExpiringSoon', 'expr', '< 30 * 86400 >= 7 * 86400', '< %d * 86400 >= %d * 86400' % [c.dcvExpiringWarningDays, c.dcvExpiringCriticalDays]],
    ['CertCentralDomainDCVExpiringSoon', 'summary', 'within 30 days', 'within %d days' % c.dcvExpiringWarningDays],
    ['CertCentralDomainDCVExpiringCritical', 'expr', '< 7 * 86400', '< %d * 86400' % c.dcvExpiringCriticalDays],
    ['CertCentralDomainDCVExpiringCritical', 'summary', 'within 7 days', 'within %d days' % c.dcvExpiringCriticalDays],
    // Certificates and renewals keep their thresholds in recording rules (one each).
    ['certcentral:certificate_lifetime_warning_ratio', 'expr', 'vector(1/3)', 'vector(%s)' % c.certificateLifetimeWarningRatio],
    ['certcentral:certificate_lifetime_critical_ratio', 'expr', 'vector(0.1)', 'vector(%s)' % c.certificateLifetimeCriticalRatio],
    ['certcentral:certificate_critical_seconds', 'expr', 'vector(7 * 86400)', 'vector(%d * 86400)' % c.certificateCriticalDays],
    ['CertCentralCertificateExpiringCritical', 'summary', 'at most 7 days', 'at most %d days' % c.certificateCriticalDays],
    ['certcentral:certificate_warning_fallback_seconds', 'expr', 'vector(30 * 86400)', 'vector(%d * 86400)' % c.certificateWarningFallbackDays],
    ['certcentral:renewal_stuck_seconds', 'expr', 'vector(86400)', 'vector(%s)' % days(c.renewalStuckDays)],
    ['CertCentralRenewalStuck', 'summary', 'more than a day', 'more than ' + words(c.renewalStuckDays, 'a day', 'days')],
    ['certcentral:order_plan_warning_seconds', 'expr', 'vector(60 * 86400)', 'vector(%d * 86400)' % c.orderPlanWarningDays],
    ['CertCentralOrderPlanExpiring', 'summary', 'within 60 days', 'within %d days' % c.orderPlanWarningDays],
    ['certcentral:issuance_runaway_factor', 'expr', 'vector(3)', 'vector(%s)' % c.issuanceRunawayFactor],
    ['CertCentralIssuanceRunaway', 'description', 'more than 3 times', 'more than %s times' % c.issuanceRunawayFactor],
    ['certcentral:issuance_runaway_min_certificates', 'expr', 'vector(10)', 'vector(%d)' % c.issuanceRunawayMinCertificates],
    ['CertCentralDataStale', 'expr', '> 3600', '> %d' % (c.dataStaleHours * 3600)],
    ['CertCentralDataStale', 'summary', 'more than an hour old', 'more than %s old' % words(c.dataStaleHours, 'an hour', 'hours')],
    ['CertCentralOrganizationValidationExpiringSoon', 'expr', '< 30 * 86400 >= 7 * 86400', '< %d * 86400 >= %d * 86400' % [c.organizationValidationWarningDays, c.organizationValidationCriticalDays]],
    ['CertCentralOrganizationValidationExpiringSoon', 'summary', 'within 30 days', 'within %d days' % c.organizationValidationWarningDays],
    ['CertCentralOrganizationValidationExpiringCritical', 'expr', '< 7 * 86400', '< %d * 86400' % c.organizationValidationCriticalDays],
    ['CertCentralOrganizationValidationExpiringCritical', 'summary', 'within 7 days', 'within %d days' % c.organizationValidationCriticalDays],
    ['CertCentralRequestAwaitingApproval', 'expr', '> 2 * 86400', '> %d * 86400' % c.approvalWaitingDays],
    ['CertCentralRequestAwaitingApproval', 'summary', 'more than 2 days', 'more than %d days' % c.approvalWaitingDays],
    ['CertCentralAPIKeyUnused', 'expr', '> 90 * 86400', '> %d * 86400' % c.apiKeyUnusedDays],
    ['CertCentralAPIKeyUnused', 'summary', 'more than 90 days', 'more than %d days' % c.apiKeyUnusedDays],
    ['CertCentralAPIKeyNeverUsed', 'expr', '> 30 * 86400', '> %d * 86400' % c.apiKeyNeverUsedDays],
    ['CertCentralAPIKeyNeverUsed', 'summary', 'more than 30 days', 'more than %d days' % c.apiKeyNeverUsedDays],
  ],
}

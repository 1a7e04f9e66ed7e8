// The mixin's settings. With these defaults it renders exactly the shipped alerts/ and
// dashboards/ (make mixin-check proves it); override any of them in your own jsonnet:
//
//   (import 'certcentral-mixin/mixin.libsonnet') + {
//     _config+:: {
//       jobSelector: 'job="certcentral-exporter"',
//       metricSelector: 'job="certcentral-exporter"',
//       administratorInactiveDays: 60,
//     },
//   }
{
  _config+:: {
    // Selects the exporter's scrape job in the two alerts built on Prometheus's own `up`
    // (exporter down, exporter absent).
    jobSelector: 'job="certcentral"',
    // Added to every certcentral_* selector of the alert rules ('' adds nothing): for example
    // 'job="certcentral-exporter"' when other jobs carry certcentral_* series too.
    metricSelector: '',
    // Added to the selector of the dashboards' Job variable ('' lists every job with
    // certcentral_up).
    dashboardSelector: '',
    // Where each alert's runbook_url points; the anchor (#alertname) is kept.
    runbookURL: 'https://github.com/certcentral-exporter/certcentral_exporter/blob/main/docs/runbook.md',

    // Thresholds (the shipped rule file's values). Each is used by the alerts listed in
    // thresholds.libsonnet, in the expression and in the summary that names it.
    administratorInactiveDays: 90,
    managerInactiveDays: 90,
    fundsLow: 500,
    fundsRunOutDays: 14,
    dcvPendingDays: 1,
    dcvExpiringWarningDays: 30,
    dcvExpiringCriticalDays: 7,
    // Certificates: warning below this part of the lifetime left (PromQL, as written into the
    // recording rule), critical below that part or at most that many days left; a certificate
    // without valid_from warns that many days ahead.
    certificateLifetimeWarningRatio: '1/3',
    certificateLifetimeCriticalRatio: '0.1',
    certificateCriticalDays: 7,
    certificateWarningFallbackDays: 30,
    renewalStuckDays: 1,
    orderPlanWarningDays: 60,
    issuanceRunawayFactor: 3,
    issuanceRunawayMinCertificates: 10,
    dataStaleHours: 1,
    organizationValidationWarningDays: 30,
    organizationValidationCriticalDays: 7,
    approvalWaitingDays: 2,
    apiKeyUnusedDays: 90,
    apiKeyNeverUsedDays: 30,
  },
}

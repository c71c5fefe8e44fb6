//! How the store keeps each aggregate of the domain: its state version for snapshots and the
//! names of its commands for the log.

use domain::access::{
    AccessToken, ClientUser, Department, DepartmentCommand, DirectoryCommand, StaffCommand,
    StaffMember, TokenCommand, UserCommand, UserDirectory,
};
use domain::account::{Account, AccountCommand};
use domain::agreement::{Agreement, AgreementCommand};
use domain::client::{Client, ClientCommand};
use domain::company::{Company, CompanyCommand};
use domain::contact::{ContactCommand, DomainContact};
use domain::group::{ClientGroup, ClientGroupCommand};
use domain::invoice::{Invoice, InvoiceBook, InvoiceBookCommand, InvoiceCommand};
use domain::item_type::{ItemTypeCommand, ItemTypeDefinition};
use domain::merge::{Merge, MergeCommand};
use domain::payer::{Payer, PayerCommand};
use domain::payment::{Payment, PaymentCommand};
use domain::promo::{PromoCode, PromoCommand};
use domain::provider::{Provider, ProviderCommand};
use domain::rates::{ExchangeRates, ExchangeRatesCommand};
use domain::service::{Service, ServiceCommand};
use domain::tariff::{Tariff, TariffCommand};

use crate::store::{Credential, NamedCommand, StoredAggregate};

impl StoredAggregate for Provider {
    const STATE_VERSION: i32 = 1;
}

impl StoredAggregate for Client {
    // 2: billing details (VAT number, address).
    // 3: status, groups and the merge that merged the client.
    const STATE_VERSION: i32 = 3;
}

impl StoredAggregate for Account {
    // 2: the state remembers what was given back of refunded payments and corrected expenses.
    // 3: and the balances merges moved out and in.
    // 4: and the account it was merged into, and the forwards out and in (ADR 6, addendum).
    // 5: and the tax given back of each corrected expense.
    const STATE_VERSION: i32 = 5;
}

impl StoredAggregate for Tariff {
    // The metered parameters are absent from older states, which their default (none) reads:
    // old snapshots stay valid.
    const STATE_VERSION: i32 = 1;
}

impl StoredAggregate for Service {
    // 2: the promo code discount the service was sold with. (A transfer changes the owner
    // fields the state already had, and a domain registration is absent from every service
    // older than it, which its default reads: old snapshots stay valid.)
    const STATE_VERSION: i32 = 2;
}

impl NamedCommand for TariffCommand {
    fn name(&self) -> &'static str {
        match self {
            Self::CreateTariff { .. } => "CreateTariff",
            Self::ImportTariff { .. } => "ImportTariff",
            Self::SetPrice { .. } => "SetPrice",
            Self::ChangePrice { .. } => "ChangePrice",
            Self::SetSetupFee { .. } => "SetSetupFee",
            Self::SetTrial { .. } => "SetTrial",
            Self::AddAddon { .. } => "AddAddon",
            Self::ArchiveTariff => "ArchiveTariff",
            Self::SetMeteredParameters { .. } => "SetMeteredParameters",
            Self::SetHourlyPrices { .. } => "SetHourlyPrices",
        }
    }
}

impl NamedCommand for ServiceCommand {
    fn name(&self) -> &'static str {
        match self {
            Self::OrderService { .. } => "OrderService",
            Self::ImportService { .. } => "ImportService",
            Self::RecordCharge { .. } => "RecordCharge",
            Self::CompleteOperation { .. } => "CompleteOperation",
            Self::FailOperation { .. } => "FailOperation",
            Self::RetryOperation { .. } => "RetryOperation",
            Self::SuspendService { .. } => "SuspendService",
            Self::ResumeService { .. } => "ResumeService",
            Self::ResumeOnPromise { .. } => "ResumeOnPromise",
            Self::SettleDebt { .. } => "SettleDebt",
            Self::CloseService { .. } => "CloseService",
            Self::ChangeTariff { .. } => "ChangeTariff",
            Self::RunBillingDay { .. } => "RunBillingDay",
            Self::TransferService { .. } => "TransferService",
            Self::SetAutoProlong { .. } => "SetAutoProlong",
            Self::SetDomainContacts { .. } => "SetDomainContacts",
            Self::SchedulePriceChange { .. } => "SchedulePriceChange",
        }
    }
}

impl NamedCommand for ProviderCommand {
    fn name(&self) -> &'static str {
        match self {
            Self::CreateProvider { .. } => "CreateProvider",
            Self::ImportProvider { .. } => "ImportProvider",
            Self::AdvanceClock { .. } => "AdvanceClock",
        }
    }
}

impl NamedCommand for ClientCommand {
    fn name(&self) -> &'static str {
        match self {
            Self::RegisterClient { .. } => "RegisterClient",
            Self::ImportClient { .. } => "ImportClient",
            Self::UpdateClient { .. } => "UpdateClient",
            Self::SetBillingDetails { .. } => "SetBillingDetails",
            Self::SetClientStatus { .. } => "SetClientStatus",
            Self::SetClientGroups { .. } => "SetClientGroups",
            Self::SetPersonalDiscount { .. } => "SetPersonalDiscount",
            Self::MarkMerged { .. } => "MarkMerged",
            Self::DeleteClient { .. } => "DeleteClient",
            Self::ClaimTrial { .. } => "ClaimTrial",
        }
    }
}

impl NamedCommand for AccountCommand {
    fn name(&self) -> &'static str {
        match self {
            Self::PostPayment { .. } => "PostPayment",
            Self::AdjustBalance { .. } => "AdjustBalance",
            Self::ChargeExpense { .. } => "ChargeExpense",
            Self::ChargeUsed { .. } => "ChargeUsed",
            Self::ReplaceCharge { .. } => "ReplaceCharge",
            Self::ImportBalance { .. } => "ImportBalance",
            Self::SetCreditLimit { .. } => "SetCreditLimit",
            Self::RefundPayment { .. } => "RefundPayment",
            Self::ReversePayment { .. } => "ReversePayment",
            Self::CorrectExpense { .. } => "CorrectExpense",
            Self::TransferBalanceOut { .. } => "TransferBalanceOut",
            Self::TransferBalanceIn { .. } => "TransferBalanceIn",
            Self::PromisePayment { .. } => "PromisePayment",
        }
    }
}

impl StoredAggregate for Company {
    const STATE_VERSION: i32 = 1;
}

impl StoredAggregate for Invoice {
    const STATE_VERSION: i32 = 1;
}

impl StoredAggregate for InvoiceBook {
    const STATE_VERSION: i32 = 1;
}

impl StoredAggregate for Payment {
    // 2: the payer the payment is made by.
    const STATE_VERSION: i32 = 2;
}

impl StoredAggregate for Payer {
    const STATE_VERSION: i32 = 1;
}

impl StoredAggregate for DomainContact {
    const STATE_VERSION: i32 = 1;
}

impl NamedCommand for ContactCommand {
    fn name(&self) -> &'static str {
        match self {
            Self::CreateContact { .. } => "CreateContact",
            Self::UpdateContact { .. } => "UpdateContact",
            Self::DeleteContact { .. } => "DeleteContact",
            Self::AttachContact { .. } => "AttachContact",
            Self::DetachContact { .. } => "DetachContact",
            Self::TransferContact { .. } => "TransferContact",
        }
    }
}

impl StoredAggregate for ClientGroup {
    const STATE_VERSION: i32 = 1;
}

impl StoredAggregate for ItemTypeDefinition {
    const STATE_VERSION: i32 = 1;
}

impl NamedCommand for ItemTypeCommand {
    fn name(&self) -> &'static str {
        match self {
            Self::DefineItemType { .. } => "DefineItemType",
        }
    }
}

impl StoredAggregate for Merge {
    const STATE_VERSION: i32 = 1;
}

impl NamedCommand for PayerCommand {
    fn name(&self) -> &'static str {
        match self {
            Self::CreatePayer { .. } => "CreatePayer",
            Self::ImportPayer { .. } => "ImportPayer",
            Self::UpdatePayer { .. } => "UpdatePayer",
            Self::TransferPayer { .. } => "TransferPayer",
        }
    }
}

impl NamedCommand for ClientGroupCommand {
    fn name(&self) -> &'static str {
        match self {
            Self::CreateClientGroup { .. } => "CreateClientGroup",
            Self::SetGroupDiscount { .. } => "SetGroupDiscount",
        }
    }
}

impl NamedCommand for MergeCommand {
    fn name(&self) -> &'static str {
        match self {
            Self::StartMerge { .. } => "StartMerge",
            Self::CompleteMerge { .. } => "CompleteMerge",
        }
    }
}

impl StoredAggregate for PromoCode {
    const STATE_VERSION: i32 = 1;
}

impl StoredAggregate for ExchangeRates {
    const STATE_VERSION: i32 = 1;
}

impl NamedCommand for CompanyCommand {
    fn name(&self) -> &'static str {
        match self {
            Self::CreateCompany { .. } => "CreateCompany",
            Self::ImportCompany { .. } => "ImportCompany",
            Self::SetTaxRules { .. } => "SetTaxRules",
            Self::ConfigurePaymentMethod { .. } => "ConfigurePaymentMethod",
            Self::SetDocumentTemplate { .. } => "SetDocumentTemplate",
        }
    }
}

impl NamedCommand for InvoiceCommand {
    fn name(&self) -> &'static str {
        match self {
            Self::DraftInvoice { .. } => "DraftInvoice",
            Self::AssignNumber { .. } => "AssignNumber",
            Self::MarkPaid { .. } => "MarkPaid",
            Self::PayInvoice { .. } => "PayInvoice",
            Self::RecordCreditNote { .. } => "RecordCreditNote",
            Self::CancelInvoice { .. } => "CancelInvoice",
            Self::RequestSend { .. } => "RequestSend",
            Self::ImportInvoice { .. } => "ImportInvoice",
        }
    }
}

impl NamedCommand for InvoiceBookCommand {
    fn name(&self) -> &'static str {
        match self {
            Self::NumberDocument { .. } => "NumberDocument",
        }
    }
}

impl NamedCommand for PaymentCommand {
    fn name(&self) -> &'static str {
        match self {
            Self::CreatePayment { .. } => "CreatePayment",
            Self::StartPayment { .. } => "StartPayment",
            Self::ConfirmPayment { .. } => "ConfirmPayment",
            Self::CancelPayment { .. } => "CancelPayment",
            Self::SettleByGateway { .. } => "SettleByGateway",
            Self::FailByGateway { .. } => "FailByGateway",
            Self::RecordRefund { .. } => "RecordRefund",
            Self::MarkFraud { .. } => "MarkFraud",
        }
    }
}

impl NamedCommand for PromoCommand {
    fn name(&self) -> &'static str {
        match self {
            Self::CreatePromoCode { .. } => "CreatePromoCode",
            Self::RedeemPromoCode { .. } => "RedeemPromoCode",
            Self::DisablePromoCode => "DisablePromoCode",
        }
    }
}

impl NamedCommand for ExchangeRatesCommand {
    fn name(&self) -> &'static str {
        match self {
            Self::SetRates { .. } => "SetRates",
        }
    }
}

impl StoredAggregate for Department {
    const STATE_VERSION: i32 = 1;
}

impl StoredAggregate for StaffMember {
    // 2: without the password's hash (ADR 11).
    const STATE_VERSION: i32 = 2;
}

impl StoredAggregate for ClientUser {
    // 2: without the password's hash (ADR 11). 3: the generation, the reset request and the
    // preferences.
    const STATE_VERSION: i32 = 3;
}

impl StoredAggregate for UserDirectory {
    const STATE_VERSION: i32 = 1;
}

impl NamedCommand for DirectoryCommand {
    fn name(&self) -> &'static str {
        match self {
            Self::SetUserRoles { .. } => "SetUserRoles",
            Self::DisableUser { .. } => "DisableUser",
            Self::EnableUser { .. } => "EnableUser",
        }
    }
}

impl StoredAggregate for AccessToken {
    // 2: without the secret's digest (ADR 11).
    const STATE_VERSION: i32 = 2;
}

fn password(hash: &domain::access::PasswordHash) -> Credential {
    Credential {
        kind: Credential::PASSWORD,
        secret: hash.as_phc().to_owned(),
    }
}

impl NamedCommand for DepartmentCommand {
    fn name(&self) -> &'static str {
        match self {
            Self::CreateDepartment { .. } => "CreateDepartment",
            Self::SetPermissions { .. } => "SetPermissions",
            Self::SetBusinessHours { .. } => "SetBusinessHours",
        }
    }
}

impl NamedCommand for StaffCommand {
    fn name(&self) -> &'static str {
        match self {
            Self::CreateStaffMember { .. } => "CreateStaffMember",
            Self::SetAccess { .. } => "SetAccess",
            Self::SetPassword { .. } => "SetPassword",
            Self::DisableStaffMember => "DisableStaffMember",
            Self::EnableStaffMember => "EnableStaffMember",
        }
    }

    fn credential(&self) -> Option<Credential> {
        self.password_hash().map(password)
    }
}

impl NamedCommand for UserCommand {
    fn name(&self) -> &'static str {
        match self {
            Self::CreateClientUser { .. } => "CreateClientUser",
            Self::ImportClientUser { .. } => "ImportClientUser",
            Self::SetRoles { .. } => "SetRoles",
            Self::DisableClientUser => "DisableClientUser",
            Self::EnableClientUser => "EnableClientUser",
            Self::ChangePassword { .. } => "ChangePassword",
            Self::RequestPasswordReset { .. } => "RequestPasswordReset",
            Self::ResetPassword { .. } => "ResetPassword",
            Self::SetPreferences { .. } => "SetPreferences",
        }
    }

    fn credential(&self) -> Option<Credential> {
        self.password_hash().map(password)
    }
}

impl NamedCommand for TokenCommand {
    fn name(&self) -> &'static str {
        match self {
            Self::IssueToken { .. } => "IssueToken",
            Self::RevokeToken { .. } => "RevokeToken",
        }
    }

    fn credential(&self) -> Option<Credential> {
        self.secret_sha256().map(|digest| Credential {
            kind: Credential::TOKEN_SHA256,
            secret: digest.to_owned(),
        })
    }
}

// The support center and notifications (issue 8).

impl StoredAggregate for domain::ticket::Ticket {
    const STATE_VERSION: i32 = 1;
}

impl NamedCommand for domain::ticket::TicketCommand {
    fn name(&self) -> &'static str {
        match self {
            Self::OpenTicket { .. } => "OpenTicket",
            Self::Reply { .. } => "ReplyToTicket",
            Self::AssignTicket { .. } => "AssignTicket",
            Self::CloseTicket { .. } => "CloseTicket",
            Self::ReopenTicket { .. } => "ReopenTicket",
        }
    }
}

impl StoredAggregate for domain::desk::TicketCategory {
    const STATE_VERSION: i32 = 1;
}

impl NamedCommand for domain::desk::CategoryCommand {
    fn name(&self) -> &'static str {
        match self {
            Self::CreateCategory { .. } => "CreateTicketCategory",
            Self::ArchiveCategory => "ArchiveTicketCategory",
        }
    }
}

impl StoredAggregate for domain::desk::AnswerTemplate {
    const STATE_VERSION: i32 = 1;
}

impl NamedCommand for domain::desk::AnswerTemplateCommand {
    fn name(&self) -> &'static str {
        match self {
            Self::SetAnswerTemplate { .. } => "SetAnswerTemplate",
            Self::DeleteAnswerTemplate => "DeleteAnswerTemplate",
        }
    }
}

impl StoredAggregate for domain::desk::Announcement {
    const STATE_VERSION: i32 = 1;
}

impl NamedCommand for domain::desk::AnnouncementCommand {
    fn name(&self) -> &'static str {
        match self {
            Self::PublishAnnouncement { .. } => "PublishAnnouncement",
            Self::WithdrawAnnouncement { .. } => "WithdrawAnnouncement",
        }
    }
}

impl StoredAggregate for domain::notice::MessageTemplate {
    const STATE_VERSION: i32 = 1;
}

impl NamedCommand for domain::notice::MessageTemplateCommand {
    fn name(&self) -> &'static str {
        match self {
            Self::SetMessageTemplate { .. } => "SetMessageTemplate",
        }
    }
}

impl StoredAggregate for domain::notice::NoticeSettings {
    const STATE_VERSION: i32 = 1;
}

impl NamedCommand for domain::notice::NoticeSettingsCommand {
    fn name(&self) -> &'static str {
        match self {
            Self::SetNoticeSettings { .. } => "SetNoticeSettings",
        }
    }
}

impl StoredAggregate for domain::affiliate::AffiliateProgram {
    const STATE_VERSION: i32 = 1;
}

impl StoredAggregate for domain::affiliate::Affiliate {
    const STATE_VERSION: i32 = 1;
}

impl StoredAggregate for domain::affiliate::Referral {
    const STATE_VERSION: i32 = 1;
}

impl NamedCommand for domain::affiliate::ProgramCommand {
    fn name(&self) -> &'static str {
        match self {
            Self::CreateProgram { .. } => "CreateAffiliateProgram",
            Self::CloseProgram => "CloseAffiliateProgram",
        }
    }
}

impl NamedCommand for domain::affiliate::AffiliateCommand {
    fn name(&self) -> &'static str {
        match self {
            Self::JoinProgram { .. } => "JoinAffiliateProgram",
            Self::AddLink { .. } => "AddReferralLink",
            Self::AccrueCommission { .. } => "AccrueCommission",
            Self::TakeBackCommission { .. } => "TakeBackCommission",
            Self::PayOut { .. } => "PayOutCommission",
        }
    }
}

impl NamedCommand for domain::affiliate::ReferralCommand {
    fn name(&self) -> &'static str {
        match self {
            Self::ReferClient { .. } => "ReferClient",
        }
    }
}

impl StoredAggregate for Agreement {
    const STATE_VERSION: i32 = 1;
}

impl NamedCommand for AgreementCommand {
    fn name(&self) -> &'static str {
        match self {
            Self::PublishAgreement { .. } => "PublishAgreement",
        }
    }
}

impl StoredAggregate for domain::usage::ServiceUsage {
    const STATE_VERSION: i32 = 1;
}

impl NamedCommand for domain::usage::UsageCommand {
    fn name(&self) -> &'static str {
        match self {
            Self::ChargeUsage { .. } => "ChargeUsage",
        }
    }
}

impl StoredAggregate for domain::hourly::ServiceHours {
    const STATE_VERSION: i32 = 1;
}

impl NamedCommand for domain::hourly::HourlyCommand {
    fn name(&self) -> &'static str {
        match self {
            Self::ChargeHours { .. } => "ChargeHours",
        }
    }
}

// Provisioning and payment modules (issue 20.5, ADR 25).

impl StoredAggregate for domain::module::Module {
    const STATE_VERSION: i32 = 1;
}

impl NamedCommand for domain::module::ModuleCommand {
    fn name(&self) -> &'static str {
        match self {
            Self::RegisterModule { .. } => "RegisterModule",
        }
    }

    fn credential(&self) -> Option<Credential> {
        self.secret_hex().map(|secret| Credential {
            kind: Credential::MODULE_HMAC,
            secret: secret.to_owned(),
        })
    }
}

impl StoredAggregate for domain::tld::Tld {
    const STATE_VERSION: i32 = 1;
}

impl NamedCommand for domain::tld::TldCommand {
    fn name(&self) -> &'static str {
        match self {
            Self::SetTldPrices { .. } => "SetTldPrices",
        }
    }
}

impl StoredAggregate for domain::domains::Domain {
    const STATE_VERSION: i32 = 1;
}

impl NamedCommand for domain::domains::DomainCommand {
    fn name(&self) -> &'static str {
        match self {
            Self::OrderDomain { .. } => "OrderDomain",
            Self::RenewDomain { .. } => "RenewDomain",
            Self::RecordRegistrarAnswer { .. } => "RecordRegistrarAnswer",
            Self::ExpireDomain { .. } => "ExpireDomain",
            Self::NoticeExpiry { .. } => "NoticeExpiry",
            Self::TransferDomain { .. } => "TransferDomain",
        }
    }
}

// Contracts between a provider's company and a client (issue 20.2, ADR 31).

impl StoredAggregate for domain::contract::ContractTemplate {
    const STATE_VERSION: i32 = 1;
}

impl NamedCommand for domain::contract::ContractTemplateCommand {
    fn name(&self) -> &'static str {
        match self {
            Self::PublishContractTemplate { .. } => "PublishContractTemplate",
        }
    }
}

impl StoredAggregate for domain::contract::ContractBook {
    const STATE_VERSION: i32 = 1;
}

impl NamedCommand for domain::contract::ContractBookCommand {
    fn name(&self) -> &'static str {
        match self {
            Self::NumberContract { .. } => "NumberContract",
        }
    }
}

impl StoredAggregate for domain::contract::Contract {
    const STATE_VERSION: i32 = 1;
}

impl NamedCommand for domain::contract::ContractCommand {
    fn name(&self) -> &'static str {
        match self {
            Self::DraftContract { .. } => "DraftContract",
            Self::SignContract { .. } => "SignContract",
            Self::TerminateContract { .. } => "TerminateContract",
        }
    }
}

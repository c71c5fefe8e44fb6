//! The HTTP handlers, one module per resource. Handlers are thin: parse the request into domain
//! types, run one command through the store or one query against a read model, shape the answer.

pub mod accounts;
pub mod action_log;
pub mod affiliates;
pub mod agreements;
pub mod audit;
pub mod auth;
pub mod billing;
pub mod clients;
pub mod companies;
pub mod contracts;
pub mod currencies;
pub mod discounts;
pub mod document_templates;
pub mod domain_contacts;
pub mod domains;
pub mod groups;
pub mod health;
pub mod imports;
pub mod invoices;
pub mod item_types;
pub mod merges;
pub mod messages;
pub mod modules;
pub mod notices;
pub mod operations;
pub mod passwords;
pub mod payers;
pub mod payments;
pub mod policies;
pub mod promo_codes;
pub mod providers;
pub mod reports;
pub mod services;
pub mod staff;
pub mod statement;
pub mod tariffs;
pub mod tickets;
pub mod top_ups;
pub mod usage;
pub mod users;

use std::sync::LazyLock;

use crate::http::auth::rules::{Owner, Rule, Rules};
use crate::http::route::{Route, route};

/// Every route's rule: the table's, and the two routes outside the document. Built once per
/// process.
pub fn rules() -> &'static Rules {
    static RULES: LazyLock<Rules> = LazyLock::new(|| {
        Rules::new(
            table().iter().map(Route::rule).chain([
                Rule::authenticated().at("GET", "/openapi.json"),
                Rule::read(domain::access::Resource::Settings)
                    .scope("metrics.read")
                    .at("GET", "/metrics"),
            ]),
        )
    });
    &RULES
}

/// Every route of the API, each declared once: its handler (method, path and document from its
/// `#[utoipa::path]`) and its rule. Keep it in the order of the route modules.
pub fn table() -> Vec<Route> {
    use domain::access::Resource::{
        Clients, Expenses, Invoices, Payments, Reports, Services, Settings, Tariffs, Tickets,
    };
    vec![
        // Operations.
        route!(health::health => Rule::public()),
        route!(health::ready => Rule::public()),
        // Authentication and tokens.
        route!(auth::login => Rule::public()),
        route!(auth::logout => Rule::authenticated()),
        route!(auth::me => Rule::authenticated()),
        route!(auth::revoke_token => Rule::admin()),
        route!(auth::create_service_token => Rule::admin()),
        route!(auth::list_service_tokens => Rule::admin()),
        route!(passwords::change_password => Rule::authenticated()),
        route!(passwords::request_reset => Rule::public()),
        route!(passwords::reset => Rule::public()),
        // Staff and departments.
        route!(staff::create_department => Rule::admin()),
        route!(staff::list_departments => Rule::read(Settings)),
        route!(staff::set_department_permissions => Rule::admin()),
        route!(staff::create_staff_member => Rule::admin()),
        route!(staff::list_staff => Rule::read(Settings)),
        route!(staff::set_staff_access => Rule::admin()),
        route!(staff::disable_staff_member => Rule::admin()),
        route!(staff::enable_staff_member => Rule::admin()),
        // Providers and clients.
        route!(providers::create_provider => Rule::write(Settings)),
        route!(providers::list_providers => Rule::read(Clients)),
        // A sandbox provider's test clock: moving it runs billing days, as a billing run does.
        route!(providers::advance_clock => Rule::write(Settings)),
        route!(providers::get_clock => Rule::read(Clients)),
        route!(clients::register_client => Rule::write(Clients).scope("clients.register")),
        route!(clients::list_clients => Rule::read(Clients).list().for_clients()),
        route!(clients::get_client => Rule::read(Clients).of(Owner::Client).for_clients()),
        route!(clients::update_client => Rule::write(Clients).of(Owner::Client).for_clients()),
        route!(clients::delete_client => Rule::write(Clients).of(Owner::Client)),
        route!(clients::set_billing_details => Rule::write(Clients).of(Owner::Client).for_clients()),
        route!(users::create_client_user => Rule::write(Clients).of(Owner::Client).for_clients()),
        route!(users::list_client_users => Rule::read(Clients).of(Owner::Client).for_clients()),
        route!(users::set_client_user_roles => Rule::write(Clients).of(Owner::Client).for_clients()),
        route!(users::disable_client_user => Rule::write(Clients).of(Owner::Client).for_clients()),
        route!(users::enable_client_user => Rule::write(Clients).of(Owner::Client).for_clients()),
        route!(users::act_as_client => Rule::write(Clients).of(Owner::Client)),
        // Accounts.
        route!(accounts::post_payment => Rule::write(Payments).of(Owner::Client).scope("payments.post")),
        route!(accounts::adjust_balance => Rule::write(Payments).of(Owner::Client)),
        route!(accounts::get_balance => Rule::read(Clients).of(Owner::Client).for_clients()),
        route!(accounts::set_credit_limit => Rule::write(Payments).of(Owner::Client)),
        route!(accounts::list_expenses => Rule::read(Expenses).of(Owner::Client).for_clients()),
        route!(statement::get_statement => Rule::read(Payments).of(Owner::Client).for_clients()),
        route!(statement::correct_expense => Rule::write(Expenses).of(Owner::Expense)),
        // Payments. A client's users do not create payments themselves: a payment method of kind
        // `manual` credits at once, which only staff and trusted machines may say.
        route!(payments::create_payment => Rule::write(Payments).body("client_id").scope("payments.create")),
        route!(payments::list_payments => Rule::read(Payments).list().for_clients()),
        route!(payments::get_payment => Rule::read(Payments).of(Owner::Payment).for_clients()),
        route!(payments::start_payment => Rule::write(Payments).of(Owner::Payment).scope("payments.start")),
        route!(payments::confirm_payment => Rule::write(Payments).of(Owner::Payment).scope("payments.confirm")),
        route!(payments::cancel_payment => Rule::write(Payments).of(Owner::Payment).for_clients().scope("payments.cancel")),
        route!(payments::refund_payment => Rule::write(Payments).of(Owner::Payment)),
        route!(payments::mark_fraud => Rule::write(Payments).of(Owner::Payment)),
        // A client's owner and billing users top up their own account by a method someone else
        // confirms (the `Payment` aggregate refuses them a `manual` one).
        route!(top_ups::top_up => Rule::write(Payments).of(Owner::Client).for_clients()),
        // Invoices.
        route!(invoices::issue_invoice => Rule::write(Invoices).body("client_id")),
        route!(invoices::list_invoices => Rule::read(Invoices).list().for_clients()),
        route!(invoices::get_invoice => Rule::read(Invoices).of(Owner::Invoice).for_clients()),
        route!(invoices::credit_invoice => Rule::write(Invoices).of(Owner::Invoice)),
        route!(invoices::send_invoice => Rule::write(Invoices).of(Owner::Invoice)),
        route!(invoices::run_monthly => Rule::write(Invoices)),
        // Audit.
        route!(action_log::list_action_log => Rule::read(Reports)),
        // Catalog.
        route!(tariffs::create_tariff => Rule::write(Tariffs)),
        route!(tariffs::list_tariffs => Rule::read(Tariffs).for_clients()),
        route!(tariffs::get_tariff => Rule::read(Tariffs).for_clients()),
        route!(tariffs::set_price => Rule::write(Tariffs)),
        route!(tariffs::change_price => Rule::write(Tariffs)),
        route!(tariffs::archive_tariff => Rule::write(Tariffs)),
        route!(item_types::list_item_types => Rule::read(Tariffs)),
        route!(item_types::define_item_type => Rule::write(Settings)),
        route!(promo_codes::create_promo_code => Rule::write(Tariffs)),
        route!(promo_codes::list_promo_codes => Rule::read(Tariffs)),
        route!(promo_codes::get_promo_code => Rule::read(Tariffs)),
        route!(promo_codes::disable_promo_code => Rule::write(Tariffs)),
        // Affiliate programs.
        route!(affiliates::create_program => Rule::write(Tariffs)),
        route!(affiliates::list_programs => Rule::read(Tariffs)),
        route!(affiliates::close_program => Rule::write(Tariffs)),
        route!(affiliates::join_program => Rule::write(Clients).of(Owner::Client).for_clients()),
        route!(affiliates::add_link => Rule::write(Clients).of(Owner::Client).for_clients()),
        route!(affiliates::pay_out => Rule::write(Payments).of(Owner::Client).for_clients()),
        route!(affiliates::get_affiliate => Rule::read(Clients).of(Owner::Client).for_clients()),
        route!(affiliates::refer => Rule::write(Clients).of(Owner::Client).scope("clients.register")),
        route!(affiliates::click => Rule::public()),
        // Agreements (offers) an order accepts.
        route!(agreements::publish_agreement => Rule::write(Tariffs)),
        route!(agreements::list_agreements => Rule::read(Tariffs)),
        route!(agreements::get_agreement => Rule::read(Tariffs)),
        route!(agreements::tariff_agreement => Rule::read(Tariffs).for_clients()),
        // Contracts between a provider's company and a client (ADR 31): staff make and sign
        // them; a client's users read and print their own.
        route!(contracts::publish_contract_template => Rule::write(Settings)),
        route!(contracts::list_contract_templates => Rule::read(Settings)),
        route!(contracts::create_contract => Rule::write(Clients).of(Owner::Client)),
        route!(contracts::list_client_contracts => Rule::read(Clients).of(Owner::Client).for_clients()),
        route!(contracts::get_contract => Rule::read(Clients).of(Owner::Client).for_clients()),
        route!(contracts::contract_pdf => Rule::read(Clients).of(Owner::Client).for_clients()),
        route!(contracts::sign_contract => Rule::write(Clients).of(Owner::Client)),
        route!(contracts::terminate_contract => Rule::write(Clients).of(Owner::Client)),
        // Services and provisioning.
        route!(services::order_service => Rule::write(Services).of(Owner::Client).for_clients().scope("services.order")),
        route!(services::list_client_services => Rule::read(Services).of(Owner::Client).for_clients()),
        route!(services::get_service => Rule::read(Services).of(Owner::Service).for_clients()),
        route!(services::list_services => Rule::read(Services)),
        route!(services::prolong_service => Rule::write(Services).of(Owner::Service).for_clients()),
        route!(services::suspend_service => Rule::write(Services).of(Owner::Service)),
        route!(services::resume_service => Rule::write(Services).of(Owner::Service)),
        route!(services::close_service => Rule::write(Services).of(Owner::Service).for_clients()),
        route!(services::change_tariff => Rule::write(Services).of(Owner::Service).for_clients()),
        route!(services::set_auto_prolong => Rule::write(Services).of(Owner::Service).for_clients()),
        route!(domain_contacts::set_service_contacts => Rule::write(Services).of(Owner::Service).for_clients()),
        route!(operations::list_operations => Rule::read(Services).scope("operations.list")),
        route!(operations::complete_operation => Rule::write(Services).of(Owner::Operation).scope("operations.report")),
        route!(operations::fail_operation => Rule::write(Services).of(Owner::Operation).scope("operations.report")),
        route!(operations::retry_operation => Rule::write(Services).of(Owner::Operation)),
        route!(billing::run_billing => Rule::write(Settings)),
        route!(imports::import_bundle => Rule::write(Settings).body_limit(imports::IMPORT_BODY_LIMIT)),
        // Companies and currencies.
        route!(companies::create_company => Rule::write(Settings)),
        route!(companies::list_companies => Rule::read(Settings)),
        route!(companies::get_company => Rule::read(Settings)),
        route!(companies::set_tax_rules => Rule::write(Settings)),
        route!(companies::configure_payment_method => Rule::write(Settings)),
        route!(document_templates::set_document_template => Rule::write(Settings).body_limit(document_templates::TEMPLATE_BODY_LIMIT)),
        route!(document_templates::get_document_template => Rule::read(Settings)),
        route!(currencies::list_currencies => Rule::read(Payments)),
        route!(currencies::set_rates => Rule::write(Payments)),
        route!(currencies::get_rates => Rule::read(Payments)),
        // Payers: a client's owner manages its own; changing one by its id is for staff.
        route!(payers::create_payer => Rule::write(Clients).of(Owner::Client).for_clients()),
        route!(payers::list_payers => Rule::read(Clients).of(Owner::Client).for_clients()),
        route!(payers::update_payer => Rule::write(Clients).of(Owner::Payer).for_clients()),
        route!(domain_contacts::create_contact => Rule::write(Clients).of(Owner::Client).for_clients()),
        route!(domain_contacts::list_contacts => Rule::read(Clients).of(Owner::Client).for_clients()),
        route!(domain_contacts::get_contact => Rule::read(Clients).of(Owner::Client).for_clients()),
        route!(domain_contacts::update_contact => Rule::write(Clients).of(Owner::Client).for_clients()),
        route!(domain_contacts::delete_contact => Rule::write(Clients).of(Owner::Client).for_clients()),
        // Client groups, status, merging and moving services: staff tools.
        route!(groups::create_group => Rule::write(Clients)),
        route!(groups::list_groups => Rule::read(Clients)),
        route!(groups::set_client_groups => Rule::write(Clients).of(Owner::Client)),
        route!(groups::set_client_status => Rule::write(Clients).of(Owner::Client)),
        // Group and personal discounts: staff set them; a client may read its own.
        route!(discounts::set_group_discount => Rule::write(Clients)),
        route!(discounts::set_personal_discount => Rule::write(Clients).of(Owner::Client)),
        route!(discounts::personal_discount => Rule::read(Clients).of(Owner::Client).for_clients()),
        route!(merges::merge_clients => Rule::write(Clients).of(Owner::Client)),
        route!(merges::get_merge => Rule::read(Clients)),
        route!(services::transfer_service => Rule::write(Services).of(Owner::Service)),
        // Reports.
        route!(reports::revenue => Rule::read(Reports)),
        route!(reports::deferred_revenue => Rule::read(Reports)),
        route!(reports::payments => Rule::read(Reports)),
        route!(reports::debtors => Rule::read(Reports)),
        route!(reports::clients => Rule::read(Reports)),
        route!(reports::services => Rule::read(Reports)),
        route!(reports::mrr => Rule::read(Reports)),
        // Support: a client's users open and follow their own client's tickets; staff answer,
        // assign and manage the desk (ADR 9).
        route!(tickets::open_ticket => Rule::write(Tickets).of(Owner::Client).for_clients().body_limit(tickets::ATTACHMENT_BODY_LIMIT)),
        route!(tickets::list_client_tickets => Rule::read(Tickets).of(Owner::Client).for_clients()),
        route!(tickets::get_ticket => Rule::read(Tickets).of(Owner::Ticket).for_clients()),
        route!(tickets::reply => Rule::write(Tickets).of(Owner::Ticket).for_clients().body_limit(tickets::ATTACHMENT_BODY_LIMIT)),
        route!(tickets::assign_ticket => Rule::write(Tickets).of(Owner::Ticket)),
        route!(tickets::close_ticket => Rule::write(Tickets).of(Owner::Ticket).for_clients()),
        route!(tickets::reopen_ticket => Rule::write(Tickets).of(Owner::Ticket).for_clients()),
        route!(tickets::get_attachment => Rule::read(Tickets).of(Owner::Ticket).for_clients()),
        route!(tickets::ticket_queue => Rule::read(Tickets)),
        route!(tickets::set_business_hours => Rule::admin()),
        route!(tickets::create_category => Rule::write(Tickets)),
        route!(tickets::list_categories => Rule::read(Tickets).for_clients()),
        route!(tickets::archive_category => Rule::write(Tickets)),
        route!(tickets::create_answer_template => Rule::write(Tickets)),
        route!(tickets::list_answer_templates => Rule::read(Tickets)),
        route!(tickets::update_answer_template => Rule::write(Tickets)),
        route!(tickets::delete_answer_template => Rule::write(Tickets)),
        route!(tickets::response_times => Rule::read(Reports)),
        // Notifications: staff write the templates; a client chooses its language and notices and
        // may read what was sent to it.
        route!(notices::set_message_template => Rule::write(Tickets)),
        route!(notices::list_message_templates => Rule::read(Tickets)),
        route!(notices::set_notice_settings => Rule::write(Clients).of(Owner::Client).for_clients()),
        route!(notices::get_notice_settings => Rule::read(Clients).of(Owner::Client).for_clients()),
        route!(notices::list_notifications => Rule::read(Tickets).list().for_clients()),
        // Messages to clients and announcements: staff send; a client's user reads the
        // announcements showing to it.
        route!(messages::send_client_message => Rule::write(Tickets)),
        route!(messages::publish_announcement => Rule::write(Tickets)),
        route!(messages::list_announcements => Rule::read(Tickets).list().for_clients()),
        route!(messages::withdraw_announcement => Rule::write(Tickets)),
        // The auditors' view of the log.
        route!(audit::get_head => Rule::read(Reports)),
        route!(audit::verify => Rule::read(Reports)),
        route!(audit::stream_events => Rule::read(Reports)),
        route!(usage::set_metered => Rule::write(Tariffs)),
        route!(usage::set_hourly_prices => Rule::write(Tariffs)),
        route!(usage::post_usage => Rule::write(Services).scope("usage.report").body_limit(usage::USAGE_BODY_LIMIT)),
        // Provisioning and payment modules (ADR 25): staff register them; a module's callback
        // is signed with its own secret, not a token.
        route!(modules::register_module => Rule::write(Settings)),
        route!(modules::get_module => Rule::read(Settings)),
        route!(modules::module_callback => Rule::public().body_limit(modules::CALLBACK_BODY_LIMIT)),
        route!(modules::payment_notification => Rule::public().body_limit(modules::CALLBACK_BODY_LIMIT)),
        // Domains (issue 20.4): staff price the TLDs; a client orders its own domains; the
        // registrar polls the operations and answers them as the provisioning robot does.
        route!(domains::set_tld_prices => Rule::write(Tariffs)),
        route!(domains::list_tlds => Rule::read(Tariffs).for_clients()),
        route!(domains::order_domain => Rule::write(Services).of(Owner::Client).for_clients().scope("services.order")),
        route!(domains::list_client_domains => Rule::read(Services).of(Owner::Client).for_clients()),
        route!(domains::get_domain => Rule::read(Services)),
        route!(domains::renew_domain => Rule::write(Services)),
        route!(domains::list_domain_operations => Rule::read(Services).scope("operations.list")),
        route!(domains::registrar_answer => Rule::write(Services).scope("operations.report")),
        // Trials and promised payments (issue 19.2): staff set a tariff's trial like its other
        // settings; a client (its owner or billing user) or staff promise a payment.
        route!(policies::set_trial => Rule::write(Tariffs)),
        route!(policies::promise_payment => Rule::write(Payments).of(Owner::Client).for_clients()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::auth::rules::{ClientOf, Need};
    use domain::access::Resource::Tariffs;
    use domain::access::{Action, Permission};

    #[test]
    fn every_route_has_exactly_one_rule() {
        let rules = rules();
        let mut seen = std::collections::HashSet::new();
        for rule in rules.all() {
            assert!(
                seen.insert((rule.method, rule.path)),
                "two rules for {} {}",
                rule.method,
                rule.path
            );
        }
        let api = crate::http::app::openapi();
        for (path, item) in &api.paths.paths {
            for (method, present) in [
                ("GET", item.get.is_some()),
                ("POST", item.post.is_some()),
                ("PUT", item.put.is_some()),
                ("PATCH", item.patch.is_some()),
                ("DELETE", item.delete.is_some()),
            ] {
                if present {
                    assert!(
                        rules.find(method, path).is_some(),
                        "no rule for {method} {path}"
                    );
                }
            }
        }
    }

    #[test]
    fn client_routes_say_where_their_client_is() {
        let rules = rules();
        for rule in rules.all().iter().filter(|r| r.clients) {
            // What every client may read alike: the catalog and the ticket categories.
            let catalog = rule.need == Need::Permission(Permission::new(Tariffs, Action::Read))
                || (rule.method, rule.path) == ("GET", "/v1/ticket-categories");
            assert!(
                catalog || rule.client != ClientOf::Nobody,
                "{} {} is open to clients but names no client",
                rule.method,
                rule.path
            );
        }
    }
}
